"""Backend fixtures: each test gets its own database (PostgreSQL or SQLite) and a clean Redis.

PostgreSQL databases are cloned from a migrated template (CREATE DATABASE ... TEMPLATE),
SQLite files are copied from a migrated template file, so each test starts at head.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.settings import Settings
from tests.conftest import POSTGRES_DSN, REDIS_URL, require_postgres, require_redis

# Parallel local runs set their own template name and Redis db (YTE_TEST_REDIS) to stay apart.
TEMPLATE_DB = os.environ.get("YTE_TEST_PG_TEMPLATE", "yte_test_template")
SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
# The repository's git-ignored model cache: converted CPU models are reused across tests.
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    return POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + (
        f"/{name}"
    )


_templates: dict[str, Path | str] = {}


async def pg_template() -> str:
    """A migrated template database, made once per test session (recreated each run)."""
    if "pg" not in _templates:
        require_postgres()
        await _admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        await _admin(f"CREATE DATABASE {TEMPLATE_DB}")
        engine = create_engine(Settings(database_url=pg_url(TEMPLATE_DB)), pooled=False)
        await migrate.upgrade(engine)
        await engine.dispose()
        _templates["pg"] = TEMPLATE_DB
    return TEMPLATE_DB


async def sqlite_template(directory: Path) -> Path:
    if "sqlite" not in _templates:
        path = directory / "template.db"
        engine = create_engine(
            Settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=directory), pooled=False
        )
        await migrate.upgrade(engine)
        await engine.dispose()
        _templates["sqlite"] = path
    return Path(_templates["sqlite"])


@pytest.fixture(params=["postgres", "sqlite"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "postgres":
        template = await pg_template()
        name = f"yte_t_{uuid.uuid4().hex[:12]}"
        await _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        yield pg_url(name)
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        template_path = await sqlite_template(tmp_path_factory.mktemp("sqlite-template"))
        path = tmp_path / "test.db"
        shutil.copy(template_path, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def sessions(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return factory


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the test database, independent of any app."""
    engine = create_engine(settings, pooled=False)
    yield create_sessionmaker(engine)
    await engine.dispose()


class Api:
    """A signed-in API user for tests."""

    def __init__(self, http: httpx.AsyncClient, email: str, tokens: dict[str, Any]) -> None:
        self.http = http
        self.email = email
        self.tokens = tokens

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.patch(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.put(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def create_channel(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Space Facts", "niche": "astronomy", **fields}
        response = await self.post("/api/v1/channels", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Api:
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return Api(http, email, response.json())


async def register(
    http: httpx.AsyncClient, email: str, actor: Api | None = None, **extra: Any
) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, **extra}
    return await http.post(
        "/api/v1/auth/register", json=body, headers=actor.headers if actor else None
    )


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Api:
    """The first user (an admin), signed in."""
    assert (await register(client, "owner@example.com")).status_code == 201
    return await login(client, "owner@example.com")


@pytest.fixture
async def other(client: httpx.AsyncClient, owner: Api) -> Api:
    """A second, ordinary user created by the admin, signed in."""
    assert (await register(client, "other@example.com", owner)).status_code == 201
    return await login(client, "other@example.com")
