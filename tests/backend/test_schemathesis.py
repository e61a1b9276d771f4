"""Schemathesis over the whole OpenAPI spec: no 5xx, only declared statuses, conforming bodies.

The real app runs under uvicorn on real PostgreSQL and Redis, signed in as a real user.
Every operation gets a bounded number of generated requests, schema-conforming ones
(positive) and deliberately broken ones (negative: wrong types, missing fields, out-of-range
values, nulls), once with generated path parameters and once with the ids of real
resources, so that a PATCH of a real channel with a null budget is tried too. The figures
(operations, requests, statuses, 5xx) are printed at the end.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from backend.app import create_app
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR, PASSWORD, SECRET, _admin, pg_template, pg_url
from tests.backend.web.conftest import LiveServer
from tests.conftest import require_postgres

EXAMPLES = 30  # per operation, per mode, per path-parameter choice
OWNER = {"email": "owner@example.com", "password": PASSWORD}
# Operations that change the caller's own account run as a throw-away member, so that the
# owner can still sign in afterwards (a generated body may change its email).
AS_MEMBER = {("PUT", "/api/v1/users/me")}
# Deleting the seeded channel would leave the rest without it: generated ids only.
NO_REAL_IDS = {("DELETE", "/api/v1/channels/{channel_id}")}


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    require_postgres()
    template = await pg_template()
    name = f"yte_t_{uuid.uuid4().hex[:12]}"
    await _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield name
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server(pg_database: str, redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(
        environment="test",
        database_url=pg_url(pg_database),
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        login_max_failures_per_address=1_000_000,  # generated logins must not lock us out
    )
    live = LiveServer(create_app(settings, run_worker=False))
    live.start()
    yield live
    live.stop()


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def bearer(http: httpx.Client, body: dict[str, str]) -> dict[str, str]:
    response = http.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, f"sign-in failed: {response.text}"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def seed(http: httpx.Client) -> dict[str, str]:
    """An owner with a channel and a video, and a member: the ids real requests can use."""
    assert http.post("/api/v1/auth/register", json=OWNER).status_code == 201
    auth = bearer(http, OWNER)
    member = http.post(
        "/api/v1/auth/register",
        json={"email": "member@example.com", "password": PASSWORD},
        headers=auth,
    )
    assert member.status_code == 201, member.text
    channel = http.post(
        "/api/v1/channels", json={"name": "Space Facts", "niche": "astronomy"}, headers=auth
    )
    assert channel.status_code == 201, channel.text
    video = http.post(
        f"/api/v1/channels/{channel.json()['id']}/videos", json={"topic": "quasars"}, headers=auth
    )
    assert video.status_code == 201, video.text
    return {
        "channel_id": channel.json()["id"],
        "video_id": video.json()["id"],
        "user_id": member.json()["id"],
    }


def check(op: Any, response: requests.Response, tally: Tally, case: Any) -> None:
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    declared = {str(code) for code in op.responses.status_codes}
    where = f"{op.method.upper()} {op.path} -> {response.status_code}"
    if response.status_code >= 500:
        tally.problems.append(f"server error: {where} {response.text[:200]} {case!r}"[:600])
    elif str(response.status_code) not in declared:
        tally.problems.append(f"undeclared status: {where} (declared {sorted(declared)})")
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        error = response.json().get("error") if isinstance(response.json(), dict) else None
        if not (isinstance(error, dict) and "code" in error and "message" in error):
            tally.problems.append(f"not the error shape: {where} {response.text[:200]}")


def exercise(
    op: Any,
    base_url: str,
    headers: dict[str, str],
    mode: GenerationMode,
    path_parameters: dict[str, str] | None,
    tally: Tally,
) -> None:
    strategy = op.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        check(op, response, tally, case)
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except Exception as exc:  # a schemathesis FailureGroup: the body breaks its schema
            tally.problems.append(f"body does not match the schema: {op.label}: {exc}"[:800])

    try:
        run()
    except Unsatisfiable:  # nothing to break: no parameters and no body (negative mode)
        assert mode is GenerationMode.NEGATIVE, op.label


def test_the_whole_spec_gives_no_server_errors_and_only_declared_statuses(
    server: LiveServer,
) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    # Negative cases break the inputs, not the bearer token (401s are covered elsewhere).
    schema.config.generation.update(with_security_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        ids = seed(http)
        member_no = 0
        tally = Tally()
        for op in operations:
            key = (op.method.upper(), op.path)
            if key in AS_MEMBER:
                member_no += 1
                email = f"fuzz{member_no}@example.com"
                body = {"email": email, "password": PASSWORD}
                owner = bearer(http, OWNER)
                assert http.post("/api/v1/auth/register", json=body, headers=owner).is_success
                headers = bearer(http, body)
            else:
                headers = bearer(http, OWNER)  # afresh: a generated logout may revoke it
            names = {p.name for p in op.path_parameters}
            choices: list[dict[str, str] | None] = [None]
            if names and names <= ids.keys() and key not in NO_REAL_IDS:
                choices.append({name: ids[name] for name in names})
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for path_parameters in choices:
                    exercise(op, server.url, headers, mode, path_parameters, tally)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations, {tally.requests} requests, "
        f"{sum(n for s, n in tally.statuses.items() if s >= 500)} server errors, "
        f"{elapsed:.0f} s; statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert len(operations) >= 40
    assert tally.requests >= 10 * len(operations)
    assert not tally.problems, "\n".join(tally.problems[:40])
