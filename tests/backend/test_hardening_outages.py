"""Redis or PostgreSQL down: the API answers 503 in the error shape, and heals by itself.

Redis is a private ``redis-server`` this test starts on a free port, stops and starts
again; PostgreSQL sits behind a TCP relay the test can close (the service "goes away":
connections refused, open ones cut) and, separately, has its backends terminated with
``pg_terminate_backend``. Never the shared services.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from backend.app import create_app
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR, PASSWORD, SECRET, _admin, pg_template, pg_url
from tests.conftest import POSTGRES_DSN, require_postgres

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A throw-away redis-server on its own port (no persistence)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class Relay:
    """A TCP relay to PostgreSQL that can be closed (refused, open links cut) and reopened."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.links.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links.difference_update((writer, up_writer))


@pytest.fixture
async def pg_database() -> AsyncIterator[str]:
    require_postgres()
    template = await pg_template()
    name = f"yte_t_{uuid.uuid4().hex[:12]}"
    await _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield name
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def started(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, run_worker=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def settings_for(
    database: str, redis_url: str, tmp_path: Path, port: int | None = None
) -> Settings:
    url = pg_url(database)
    if port is not None:
        url = url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    return Settings(
        environment="test",
        database_url=url,
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
    )


async def sign_up(http: httpx.AsyncClient) -> dict[str, str]:
    body = {"email": "owner@example.com", "password": PASSWORD}
    assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
    response = await http.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_unavailable(response: httpx.Response, service: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["service"] == service
    assert int(response.headers["retry-after"]) > 0


async def test_redis_down_is_a_503_and_the_first_request_after_it_returns_succeeds(
    private_redis: PrivateRedis, pg_database: str, tmp_path: Path
) -> None:
    settings = settings_for(pg_database, private_redis.url, tmp_path)
    async for http in started(settings):
        auth = await sign_up(http)
        assert (await http.get("/api/v1/users/me", headers=auth)).status_code == 200
        private_redis.stop()
        started_at = time.monotonic()
        assert_unavailable(await http.get("/api/v1/users/me", headers=auth), "redis")
        assert_unavailable(await http.get("/api/v1/channels", headers=auth), "redis")
        body = {"email": "owner@example.com", "password": PASSWORD}
        assert_unavailable(await http.post("/api/v1/auth/login", json=body), "redis")
        assert time.monotonic() - started_at < 15  # bounded: no request hangs on a dead Redis
        private_redis.start()  # same port, empty: the pooled connections are all stale
        response = await http.get("/api/v1/users/me", headers=auth)
        assert response.status_code == 200, response.text
        assert (await http.post("/api/v1/auth/login", json=body)).status_code == 200


async def test_postgres_down_is_a_503_and_the_pool_heals_when_it_returns(
    pg_database: str, redis_url: str, tmp_path: Path
) -> None:
    relay = Relay(int(POSTGRES_DSN.rsplit(":", 1)[1].split("/", 1)[0]))
    await relay.open()
    settings = settings_for(pg_database, redis_url, tmp_path, port=relay.port)
    try:
        async for http in started(settings):
            auth = await sign_up(http)
            assert (await http.get("/api/v1/channels", headers=auth)).status_code == 200
            await relay.close()  # the database goes away: open links cut, new ones refused
            started_at = time.monotonic()
            for _ in range(2):
                assert_unavailable(await http.get("/api/v1/channels", headers=auth), "database")
            body = {"email": "owner@example.com", "password": PASSWORD}
            assert_unavailable(await http.post("/api/v1/auth/login", json=body), "database")
            assert time.monotonic() - started_at < 30
            await relay.open()
            response = await http.get("/api/v1/channels", headers=auth)
            assert response.status_code == 200, response.text
    finally:
        await relay.close()


async def test_terminated_database_backends_are_replaced_without_an_error(
    pg_database: str, redis_url: str, tmp_path: Path
) -> None:
    settings = settings_for(pg_database, redis_url, tmp_path)
    async for http in started(settings):
        auth = await sign_up(http)
        # a few pooled connections, then the server ends every one of them
        responses = await asyncio.gather(
            *(http.get("/api/v1/channels", headers=auth) for _ in range(4))
        )
        assert all(r.status_code == 200 for r in responses)
        conn = await asyncpg.connect(POSTGRES_DSN)
        try:
            ended = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                pg_database,
            )
        finally:
            await conn.close()
        assert ended >= 1
        for _ in range(6):
            response = await http.get("/api/v1/channels", headers=auth)
            assert response.status_code == 200, response.text
