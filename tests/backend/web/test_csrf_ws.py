"""CSRF tokens are bound to the session; a refused socket closes with a code the page reads.

A form token is an HMAC over the CSRF cookie's nonce and the session's id, so another
session's cookie and token do not fit this session. ``/ws`` accepts and then closes with
4401 (not signed in) or 4403 (cross-site), so the browser's close event sees the code,
on a real uvicorn with a websockets client.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from backend.settings import Settings
from tests.backend.test_hardening_outages import REDIS_SERVER, PrivateRedis
from tests.backend.web.conftest import (
    CSRF_RE,
    PASSWORD,
    Browser,
    LiveServer,
    _client,
    build_app,
    live_login,
)
from tests.backend.web.helpers import CHANNEL_FORM

# --- CSRF ----------------------------------------------------------------------------


async def page_token(http: httpx.AsyncClient, path: str = "/channels") -> str:
    response = await http.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


async def test_another_sessions_csrf_cookie_and_token_do_not_fit(
    web_app: FastAPI, owner_browser: Browser, other_browser: Browser
) -> None:
    a, b = owner_browser.http, other_browser.http
    b_token = await page_token(b)
    # A's session, with B's CSRF cookie and B's token: refused, nothing created
    async with _client(web_app) as mixed:
        mixed.cookies.set("yte_session", a.cookies["yte_session"])
        mixed.cookies.set("yte_csrf", b.cookies["yte_csrf"])
        refused = await mixed.post("/channels", data={**CHANNEL_FORM, "csrf_token": b_token})
        assert refused.status_code == 403, refused.text
        assert "This form has expired" in refused.text
    assert "Space Facts" not in (await a.get("/channels")).text
    # A's own cookie and token still work
    a_token = await page_token(a)
    created = await a.post("/channels", data={**CHANNEL_FORM, "csrf_token": a_token})
    assert created.status_code == 303, created.text
    assert "Space Facts" in (await a.get("/channels")).text


async def test_a_token_from_before_sign_in_does_not_fit_the_session(
    web_app: FastAPI, api: httpx.AsyncClient, owner_browser: Browser
) -> None:
    async with _client(web_app) as http:
        browser = Browser(http)
        before = await browser.csrf("/login")  # bound to no session
        response = await http.post(
            "/login",
            data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": before},
        )
        assert response.status_code == 303, response.text  # the sign-in form works
        stale = await http.post("/channels", data={**CHANNEL_FORM, "csrf_token": before})
        assert stale.status_code == 403
        fresh = await page_token(http)
        assert fresh != before
        ok = await http.post("/channels", data={**CHANNEL_FORM, "csrf_token": fresh})
        assert ok.status_code == 303, ok.text


# --- WebSocket close codes -----------------------------------------------------------


async def close_code(url: str, headers: dict[str, str]) -> int | None:
    """Open the socket and return the code it is closed with (None: it stayed open)."""
    async with connect(url, additional_headers=headers, open_timeout=5) as socket:
        try:
            message = await asyncio.wait_for(socket.recv(), 5)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        assert json.loads(message)["type"] == "hello"
        return None


async def test_a_refused_socket_is_accepted_then_closed_with_4401_or_4403(
    live_server: LiveServer,
) -> None:
    url = live_server.url.replace("http", "ws") + "/ws"
    origin = {"Origin": live_server.url}
    assert await close_code(url, origin) == 4401  # anonymous
    assert await close_code(url, {**origin, "Cookie": "yte_session=forged"}) == 4401
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        assert (await api.post("/api/v1/auth/register", json=body)).status_code == 201
    owner = await live_login(live_server, "owner@example.com")
    try:
        cookie = "; ".join(f"{k}={v}" for k, v in owner.cookies.items())
        cross_site = {"Origin": "http://evil.example", "Cookie": cookie}
        assert await close_code(url, cross_site) == 4403
        assert await close_code(url, {**origin, "Cookie": cookie}) is None  # signed in: open
        # signed out elsewhere: the same cookie now gets 4401, so the page can renew or leave
        token = await page_token(owner, "/")
        assert (await owner.post("/logout", data={"csrf_token": token})).status_code == 303
        assert await close_code(url, {**origin, "Cookie": cookie}) == 4401
    finally:
        await owner.aclose()


async def test_a_socket_opened_while_redis_is_down_closes_with_1013(
    live_settings: Settings, tmp_path: Path
) -> None:
    redis_server = PrivateRedis(tmp_path)
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    redis_server.start()
    server = LiveServer(build_app(live_settings.model_copy(update={"redis_url": redis_server.url})))
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as api:
            body = {"email": "owner@example.com", "password": PASSWORD}
            assert (await api.post("/api/v1/auth/register", json=body)).status_code == 201
        owner = await live_login(server, "owner@example.com")
        cookie = "; ".join(f"{k}={v}" for k, v in owner.cookies.items())
        await owner.aclose()
        url = server.url.replace("http", "ws") + "/ws"
        headers = {"Origin": server.url, "Cookie": cookie}
        redis_server.stop()
        assert await close_code(url, headers) == 1013
        redis_server.start()
        assert await close_code(url, headers) is None  # back: the socket opens
    finally:
        server.stop()
        redis_server.stop()
