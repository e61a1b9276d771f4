"""Web fixtures: the API app with the dashboard installed, a cookie-holding browser-like
client, and a live uvicorn server (for the WebSocket and Playwright tests).

Databases and Redis come from tests/backend/conftest.py: each test gets its own PostgreSQL
or SQLite database and the real Redis (db 15), flushed around the test.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from playwright.async_api import Browser as ChromiumBrowser
from playwright.async_api import async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.db.engine import create_engine, create_sessionmaker
from backend.settings import Settings
from backend.web import install_web
from tests.backend.conftest import (  # noqa: F401 - fixtures used by name
    MODELS_DIR,
    PASSWORD,
    SECRET,
    database_url,
    redis_url,
    register,
    settings,
    sqlite_template,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"


def build_app(config: Settings, *, run_worker: bool = False) -> FastAPI:
    application = create_app(config, run_worker=run_worker)
    install_web(application)  # a no-op once create_app installs it itself
    return application


@pytest.fixture
async def web_app(settings: Settings) -> AsyncIterator[FastAPI]:  # noqa: F811
    application = build_app(settings)
    async with LifespanManager(application):
        yield application


class Browser:
    """An HTTP client that behaves like a browser: cookies, forms with their CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def csrf(self, path: str = "/login") -> str:
        response = await self.http.get(path)
        match = CSRF_RE.search(response.text)
        assert match, f"no CSRF token on {path} ({response.status_code})"
        return match.group(1)

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        token = await self.csrf("/login")
        return await self.http.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    async def submit(
        self, path: str, data: dict[str, Any] | None = None, *, page: str = "/"
    ) -> httpx.Response:
        """Post a form the way a page does: with the CSRF token of the signed-in page."""
        token = await self.csrf(page)
        return await self.http.post(path, data={"csrf_token": token, **(data or {})})

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path, **kw)


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def api(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(web_app) as http:
        yield http


@pytest.fixture
async def owner_browser(web_app: FastAPI, api: httpx.AsyncClient) -> AsyncIterator[Browser]:
    """The first user (admin), signed in through the login form."""
    assert (await register(api, "owner@example.com")).status_code == 201
    async with _client(web_app) as http:
        browser = Browser(http)
        response = await browser.login("owner@example.com")
        assert response.status_code == 303, response.text
        yield browser


@pytest.fixture
async def other_browser(
    web_app: FastAPI, api: httpx.AsyncClient, owner_browser: Browser
) -> AsyncIterator[Browser]:
    """A second, ordinary user, signed in (created by the admin through the API)."""
    token = (
        await api.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
        )
    ).json()["access_token"]
    response = await api.post(
        "/api/v1/auth/register",
        json={"email": "other@example.com", "password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    async with _client(web_app) as http:
        browser = Browser(http)
        assert (await browser.login("other@example.com")).status_code == 303
        yield browser


@pytest.fixture
def sessions(web_app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = web_app.state.sessionmaker
    return factory


# --- a live server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The real app under uvicorn on 127.0.0.1, in a thread with its own event loop."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
async def live_settings(
    redis_url: str,  # noqa: F811
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    """SQLite (a copy of the migrated template) and the real Redis; no in-process worker."""
    template = await sqlite_template(tmp_path_factory.mktemp("sqlite-template"))
    path = tmp_path / "live.db"
    shutil.copy(template, path)
    return Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{path}",
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        dashboard_cache_seconds=0,
    )


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(build_app(live_settings))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def live_db(live_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The live server's database, from the test's side (acting as the worker would)."""
    engine = create_engine(live_settings, pooled=False)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def live_login(server: LiveServer, email: str) -> httpx.AsyncClient:
    """An httpx client signed in to the live server through the login form."""
    http = httpx.AsyncClient(base_url=server.url)
    page = await http.get("/login")
    token = CSRF_RE.search(page.text)
    assert token
    response = await http.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text
    return http


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


# Playwright drives Debian's Chromium (never a downloaded browser build).
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's Chromium is not installed (scripts/install_chromium.sh)",
)


@pytest.fixture
async def browser() -> AsyncIterator[ChromiumBrowser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()
