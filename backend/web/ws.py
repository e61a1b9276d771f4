"""``/ws``: the owner's events from Redis pub/sub, forwarded to the browser.

The socket is authenticated by the session cookie (the middleware puts its access token
in the scope state) and subscribes only to its owner's channel, ``ytempire:events:{id}``,
so any API process can serve it. A refused socket is accepted and then closed with a code
the page can read (a refusal during the handshake reaches it only as a bare HTTP 403):
4401 not signed in (the client renews its cookie with an HTTP request and reconnects),
4403 a cross-site origin (the client stops), 1013 the database or Redis is unreachable
(the client reconnects with backoff).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import Unauthorized
from backend.events.bus import user_channel
from backend.models import User
from backend.security.tokens import AccessClaims, decode_access_token, denylist_key

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)

NOT_SIGNED_IN = 4401
BAD_ORIGIN = 4403
TRY_AGAIN_LATER = 1013  # the database or Redis is unreachable: the page reconnects later
REVOCATION_CHECK_S = 30.0


def same_origin(ws: WebSocket) -> bool:
    """Browsers send Origin on a socket; it must name this host (no cross-site hijacking)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == ws.headers.get("host", "")


async def authenticate(ws: WebSocket) -> tuple[User, AccessClaims] | None:
    token = getattr(ws.state, "session_token", None)
    if not token:
        return None
    app = ws.app
    try:
        claims = decode_access_token(token, app.state.settings.resolved_secret_key())
    except Unauthorized:
        return None
    if await app.state.redis.aio.exists(denylist_key(claims.jti)):
        return None
    async with app.state.sessionmaker() as session:
        user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        return None
    return user, claims


async def _forward(ws: WebSocket, user: User, claims: AccessClaims) -> None:
    client = ws.app.state.redis.aio
    pubsub = client.pubsub()
    await pubsub.subscribe(user_channel(user.id))
    await ws.send_text(json.dumps({"type": "hello", "user_id": str(user.id)}))
    loop = asyncio.get_running_loop()
    next_check = loop.time() + REVOCATION_CHECK_S
    try:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                await ws.send_text(data.decode() if isinstance(data, bytes) else str(data))
            if loop.time() >= next_check:  # signed out elsewhere: stop delivering
                next_check = loop.time() + REVOCATION_CHECK_S
                if await client.exists(denylist_key(claims.jti)):
                    await ws.close(code=NOT_SIGNED_IN)
                    return
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
        await pubsub.aclose()


async def _receive(ws: WebSocket) -> None:
    """Answer pings; return when the browser goes away."""
    while True:
        text = await ws.receive_text()
        if text == "ping":
            await ws.send_text('{"type":"pong"}')


async def refuse(ws: WebSocket, code: int) -> None:
    """Accept, then close with ``code``: the browser's close event carries it."""
    await ws.accept()
    await ws.close(code=code)


@router.websocket("/ws")
async def events_socket(ws: WebSocket) -> None:
    if not same_origin(ws):
        await refuse(ws, BAD_ORIGIN)
        return
    try:
        auth = await authenticate(ws)
    except (RedisError, SQLAlchemyError, OSError) as outage:
        log.warning("web.ws.service_unavailable", error=type(outage).__name__)
        await refuse(ws, TRY_AGAIN_LATER)
        return
    if auth is None:
        await refuse(ws, NOT_SIGNED_IN)
        return
    user, claims = auth
    await ws.accept()
    log.info("web.ws.connected", user_id=str(user.id))
    tasks = [
        asyncio.create_task(_forward(ws, user, claims)),
        asyncio.create_task(_receive(ws)),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                log.warning("web.ws.error", error=repr(exc))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("web.ws.closed", user_id=str(user.id))
