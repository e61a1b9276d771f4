"""The browser session: the API's own token pair, kept in an encrypted HttpOnly cookie.

The cookie holds an access token and its refresh token (Fernet-encrypted with a key
derived from the secret key). A request whose access token has expired is served after
a refresh-token rotation through the auth service; rotations are single-flight per
refresh token (Redis), so a page and its parallel media/poll requests never present the
same refresh token twice (which the auth service treats as theft and revokes).

CSRF: a random value in its own cookie, and forms carry its HMAC over that nonce and the
session's id (signed double submit, bound to the session). The session id is random, made
at sign-in and kept through every renewal, so a token taken from another session (another
user's, or the same browser's before it signed in) does not fit; before sign-in the
token binds to no session, so the sign-in forms work.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.auth import service as auth_service
from backend.auth.schemas import TokenPair
from backend.db.session import commit, rollback
from backend.errors import AppError, RefreshTokenReused
from backend.settings import Settings

log = structlog.get_logger(__name__)

SESSION_COOKIE = "yte_session"
CSRF_COOKIE = "yte_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ROTATION_TTL_S = 60
ROTATION_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class WebSession:
    access_token: str
    refresh_token: str
    # the session's id: random at sign-in, the same through renewals ("" = derive on read)
    sid: str = ""


class SessionCodec:
    """Encrypts and reads the session cookie, and signs CSRF tokens."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"ytempire/web-session/v1" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._csrf_key = hashlib.sha256(b"ytempire/web-csrf/v1" + secret_key.encode()).digest()

    def encode(self, session: WebSession) -> str:
        body = {"a": session.access_token, "r": session.refresh_token, "s": session.sid}
        return self._fernet.encrypt(json.dumps(body).encode()).decode()

    def decode(self, value: str) -> WebSession | None:
        try:
            body = json.loads(self._fernet.decrypt(value.encode()))
            refresh = str(body["r"])
            # a cookie from before session ids: its refresh token's digest stands in
            sid = str(body.get("s") or hashlib.sha256(refresh.encode()).hexdigest()[:32])
            return WebSession(access_token=str(body["a"]), refresh_token=refresh, sid=sid)
        except (InvalidToken, ValueError, KeyError, TypeError, AttributeError):
            return None

    def csrf_token(self, nonce: str, sid: str = "") -> str:
        """The form token for a CSRF nonce in the session ``sid`` ("" before sign-in)."""
        message = f"{nonce}\n{sid}".encode()
        return hmac.new(self._csrf_key, message, hashlib.sha256).hexdigest()

    def csrf_valid(self, nonce: str | None, token: str | None, sid: str = "") -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce, sid), token)


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


def from_pair(pair: TokenPair, sid: str | None = None) -> WebSession:
    """A session for a token pair: a new session id at sign-in, the old one on renewal."""
    return WebSession(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        sid=sid or new_session_id(),
    )


def _rotation_key(refresh_token: str) -> str:
    return "ytempire:web:rotated:" + hashlib.sha256(refresh_token.encode()).hexdigest()


async def _rotate_once(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, refresh_token: str
) -> TokenPair | None:
    async with sessions() as session:
        try:
            pair = await auth_service.rotate(session, settings, refresh_token)
        except RefreshTokenReused:
            await commit(session)  # keep the family's revocation
            return None
        except AppError:
            await rollback(session)
            return None
        await commit(session)
        return pair


async def rotate(
    codec: SessionCodec,
    client: aioredis.Redis,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    current: WebSession,
) -> WebSession | None:
    """A fresh token pair for an expired session, or None when it cannot be renewed."""
    key = _rotation_key(current.refresh_token)
    cached = await client.get(key)
    if cached is None and await client.set(f"{key}:lock", b"1", nx=True, px=10_000):
        pair = await _rotate_once(sessions, settings, current.refresh_token)
        if pair is None:
            await client.set(key, b"-", ex=ROTATION_TTL_S)
            return None
        renewed = from_pair(pair, sid=current.sid)
        await client.set(key, codec.encode(renewed).encode(), ex=ROTATION_TTL_S)
        log.info("web.session.rotated")
        return renewed
    waited = 0.0
    while cached is None and waited < ROTATION_WAIT_S:
        await asyncio.sleep(0.05)
        waited += 0.05
        cached = await client.get(key)
    if cached is None or cached == b"-":
        return None
    text = cached.decode() if isinstance(cached, bytes) else str(cached)
    return codec.decode(text)
