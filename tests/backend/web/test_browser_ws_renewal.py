"""In the browser: a socket refused at its (re)connection with 4401 renews the session and
comes back, instead of retrying with a dead token forever.

The page's socket runs through Playwright's WebSocket route (passed through to the real
server). The test swaps the session cookie for one whose access token has expired (the
same refresh token), then drops the socket as a restart would (1012). The page reconnects
with the expired token; the server accepts and closes with 4401; the page renews the cookie
with an HTTP request and reconnects, and is live again.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from playwright.async_api import Browser, WebSocketRoute, expect

from backend.db.base import utcnow
from backend.security.tokens import create_access_token, decode_access_token
from backend.settings import Settings
from backend.web.middleware import codec_for
from backend.web.session import SESSION_COOKIE, WebSession
from tests.backend.web.conftest import PASSWORD, LiveServer, needs_chromium

pytestmark = needs_chromium


async def test_a_socket_refused_with_4401_renews_the_session_and_reconnects(
    live_server: LiveServer, live_settings: Settings, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        assert (await api.post("/api/v1/auth/register", json=body)).status_code == 201
    context = await browser.new_context()
    page = await context.new_page()
    sockets: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.connect_to_server()

    await page.route_web_socket("**/ws", route)
    await page.goto(live_server.url + "/login")
    await page.get_by_label("Email").fill("owner@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("body")).to_have_attribute("data-ws", "open")

    # the access token runs out while the socket is down
    codec = codec_for(live_server.server.config.app)
    [cookie] = [c for c in await context.cookies() if c["name"] == SESSION_COOKIE]
    current = codec.decode(cookie["value"])
    assert current is not None
    secret = live_settings.resolved_secret_key()
    claims = decode_access_token(current.access_token, secret)
    expired, _ = create_access_token(
        claims.user_id, claims.role, secret, 1, now=utcnow() - timedelta(minutes=5)
    )
    stale = codec.encode(WebSession(expired, current.refresh_token, current.sid))
    await context.add_cookies([{**cookie, "value": stale}])
    await sockets[-1].close(code=1012, reason="restart")
    await expect(page.locator("body")).to_have_attribute("data-ws", "closed")

    # refused with 4401 at the reconnection, renewed over HTTP, live again
    await expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=20_000)
    assert page.url.startswith(live_server.url + "/") and "/login" not in page.url
    [renewed] = [c for c in await context.cookies() if c["name"] == SESSION_COOKIE]
    assert renewed["value"] != stale
    fresh = codec.decode(renewed["value"])
    assert fresh is not None and fresh.sid == current.sid  # the same session, renewed
    assert len(sockets) >= 3  # first socket, the refused one, the renewed one
    await context.close()
