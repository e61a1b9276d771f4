"""Abuse at the edges: body size and depth limits, login throttling, secrets out of DB errors."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.auth.throttle import LoginThrottle
from backend.db.engine import create_engine
from backend.errors import TooManyRequests
from backend.limits import json_depth
from backend.settings import Settings
from tests.backend.conftest import PASSWORD, Api, register


async def test_a_stranger_guessing_emails_cannot_lock_an_owner_out(
    owner: Api, client: httpx.AsyncClient, settings: Settings
) -> None:
    for _ in range(20):
        body = {"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "guess-guess"}
        assert (await client.post("/api/v1/auth/login", json=body)).status_code == 401
    body = {"email": "owner@example.com", "password": PASSWORD}
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text


async def test_an_address_is_refused_only_after_many_failures(
    owner: Api, client: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.login_max_failures_per_address
    assert limit >= 10 * settings.login_max_failures
    for i in range(limit):
        body = {"email": f"guess{i}@example.com", "password": "guess-guess"}
        assert (await client.post("/api/v1/auth/login", json=body)).status_code == 401
    body = {"email": "owner@example.com", "password": PASSWORD}
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_throttled"


@pytest.fixture
async def aredis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_account_lockout_doubles_and_a_success_clears_it(aredis: aioredis.Redis) -> None:
    throttle = LoginThrottle(aredis, 3, 60, max_failures_per_address=1000, max_lockout_seconds=200)
    for _ in range(3):
        await throttle.check("a@example.com", "10.0.0.1")
        await throttle.failed("a@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests) as locked:
        await throttle.check("A@example.com", "10.0.0.9")  # any address, any case
    assert 55 <= locked.value.retry_after <= 60
    await throttle.check("b@example.com", "10.0.0.1")  # other accounts are untouched

    # The lockout ends; the next failure locks for twice as long, then the cap holds.
    await aredis.delete("ytempire:login:lock:user:a@example.com")
    await throttle.failed("a@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests) as doubled:
        await throttle.check("a@example.com", "10.0.0.1")
    assert 115 <= doubled.value.retry_after <= 120
    await aredis.delete("ytempire:login:lock:user:a@example.com")
    await throttle.failed("a@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests) as capped:
        await throttle.check("a@example.com", "10.0.0.1")
    assert 195 <= capped.value.retry_after <= 200

    await throttle.succeeded("a@example.com")
    await throttle.check("a@example.com", "10.0.0.1")


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    too_big = b'{"email": "' + b"a" * (settings.max_request_bytes + 10) + b'"}'
    response = await client.post(
        "/api/v1/auth/login", content=too_big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert len(response.content) < 500


async def test_a_chunked_body_over_the_limit_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    chunk = b"x" * 65536
    count = settings.max_request_bytes // len(chunk) + 2

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield chunk

    response = await client.post(
        "/api/v1/auth/login", content=stream(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_deeply_nested_json_is_refused(owner: Api, settings: Settings) -> None:
    depth = settings.max_json_depth + 1
    body = '{"name": "x", "niche": "y", "voice_settings": ' + "[" * depth + "]" * depth + "}"
    response = await owner.post(
        "/api/v1/channels", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "json_too_deep"
    # A normal body still goes through the limit unchanged.
    assert (await register(owner.http, "second@example.com", actor=owner)).status_code == 201


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b"1") == 0
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(json.dumps({"t": "[[[[{{{{", "u": ['\\"[']}).encode()) == 2


async def test_database_errors_do_not_carry_bound_parameters(settings: Settings) -> None:
    secret = "$argon2id$v=19$m=65536,t=3,p=4$SECRET-HASH-" + uuid.uuid4().hex
    engine = create_engine(settings, pooled=False)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(
                    text("INSERT INTO no_such_table (password_hash) VALUES (:h)"), {"h": secret}
                )
    finally:
        await engine.dispose()
    assert secret not in str(raised.value)
    assert "SECRET-HASH" not in repr(raised.value)


async def test_the_embedded_database_file_is_private(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "data", secret_key="k" * 40)
    engine = create_engine(settings, pooled=False)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.commit()
    finally:
        await engine.dispose()
    for path in (tmp_path / "data").glob("ytempire.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


async def test_hsts_is_sent_over_https_only(app: object) -> None:
    for scheme, expected in (("https", True), ("http", False)):
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test") as http:
            response = await http.get("/health")
        assert ("strict-transport-security" in response.headers) is expected, scheme


async def test_a_nul_character_is_a_422_everywhere(owner: Api, client: httpx.AsyncClient) -> None:
    channel = await owner.create_channel()
    probes = [
        owner.post("/api/v1/channels", json={"name": "bad\x00name", "niche": "x"}),
        owner.patch(f"/api/v1/channels/{channel['id']}", json={"niche": "a\x00b"}),
        owner.post(f"/api/v1/channels/{channel['id']}/videos", json={"topic": "t\x00pic"}),
        client.post("/api/v1/auth/login", json={"email": "a@b.co", "password": "x\x00y"}),
        owner.get("/api/v1/videos", params={"cursor": "abc\x00"}),
        client.post(
            "/login",
            content=b"email=a%40b.co&password=pa%00ss",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    ]
    for probe in probes:
        response = await probe
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
    # An escaped backslash before "u0000" is ordinary text, not a NUL.
    fine = await owner.post(
        f"/api/v1/channels/{channel['id']}/videos", json={"topic": "path \\u0000 literal"}
    )
    assert fine.status_code == 201, fine.text
