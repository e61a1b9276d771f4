"""Secrets never reach the logs: errors are provoked, then the captured logs are searched.

Logging is configured as ``ytempire serve`` configures it (structlog and the stdlib root
handler, both on stderr); the test captures that output and the stdlib records, with
SQLAlchemy's statement log switched on, through a successful and a failed sign-in, a
refresh-token reuse, and database errors in the middle of register and login (a
trigger that raises with the new row, and a constraint that fails, so PostgreSQL reports
the whole row, password hash included).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import User
from backend.observability.logging import configure_logging
from backend.observability.redaction import scrub
from backend.security.tokens import hash_token
from tests.backend.conftest import PASSWORD, register

ARGON2 = re.compile(r"\$argon2")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture
def serve_logging() -> Iterator[None]:
    root = logging.getLogger()
    kept = list(root.handlers)  # pytest's capture handlers
    level = root.level
    configure_logging("INFO")
    for handler in kept:
        if handler not in root.handlers:
            root.addHandler(handler)
    engine_log = logging.getLogger("sqlalchemy.engine")
    engine_log.setLevel(logging.INFO)
    yield
    engine_log.setLevel(logging.WARNING)
    for handler in list(root.handlers):
        if handler not in kept:
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_errors_and_sign_ins_leave_no_password_token_or_hash_in_the_logs(
    serve_logging: None,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    assert (await register(client, "owner@example.com")).status_code == 201
    body = {"email": "owner@example.com", "password": PASSWORD}
    tokens = (await client.post("/api/v1/auth/login", json=body)).json()
    async with db() as session:
        password_hash = (
            await session.execute(select(User.password_hash).where(User.email == body["email"]))
        ).scalar_one()
    assert password_hash.startswith("$argon2")

    wrong = {"email": "owner@example.com", "password": "wrong " + PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert (await client.post("/api/v1/auth/refresh", json=refresh)).status_code == 200
    reused = await client.post("/api/v1/auth/refresh", json=refresh)
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "refresh_reused"

    # Database errors in the middle of register and login: the failing row is reported.
    async with db() as session:
        await session.execute(
            text(
                "CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 't_refuse: %', NEW; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER t_refuse_victim BEFORE INSERT ON users FOR EACH ROW "
                "WHEN (NEW.email = 'victim@example.com') EXECUTE FUNCTION t_refuse()"
            )
        )
        await session.execute(
            text("ALTER TABLE refresh_tokens ADD CONSTRAINT t_no_tokens CHECK (false) NOT VALID")
        )
        await session.commit()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    victim = {"email": "victim@example.com", "password": "victim " + PASSWORD}
    failed = await client.post("/api/v1/auth/register", json=victim, headers=headers)
    assert failed.status_code == 500
    assert (await client.post("/api/v1/auth/login", json=body)).status_code == 500

    output = capsys.readouterr()
    logs = output.err + output.out + caplog.text
    # the errors were logged, with what they say about the database
    assert "api.unhandled_error" in logs and "t_refuse" in logs and "t_no_tokens" in logs
    secrets = [
        PASSWORD,
        "victim " + PASSWORD,
        password_hash,
        password_hash.rsplit("$", 1)[-1],
        tokens["access_token"],
        tokens["refresh_token"],
        hash_token(tokens["refresh_token"]),
    ]
    for secret in secrets:
        assert secret not in logs, f"a secret reached the logs: {secret[:12]}..."
    assert not ARGON2.search(logs), "an argon2 hash reached the logs"
    assert not HEX64.search(logs), "a token hash reached the logs"


def test_scrub_removes_what_looks_like_a_secret() -> None:
    line = (
        "DETAIL:  Failing row contains (1, a@b.co, "
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA, t).\n"
        "Authorization: Bearer abcdefghijklmnop password=hunter22 "
        '{"refresh_token": "r3fr3sh-t0ken"} eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl'
    )
    cleaned = scrub(line)
    for secret in ("argon2", "a@b.co", "abcdefghijklmnop", "hunter22", "r3fr3sh", "eyJhbG"):
        assert secret not in cleaned, cleaned
    assert "Failing row contains ([redacted])" in cleaned
