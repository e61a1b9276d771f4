"""Pure ASGI middleware for the browser: cookie session, CSRF nonce, CSP.

For page routes and the WebSocket, a valid session cookie puts its access token into
``request.state.session_token``, which :func:`backend.deps.get_current_user` reads, so
pages use the API's own authentication. Under ``/api/`` the cookie counts only for safe
methods (GET/HEAD: the dashboard poll, the video player, downloads); API writes still
need a bearer token, so a cookie can never be ridden into an API mutation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.db.base import utcnow
from backend.errors import Unauthorized
from backend.security.tokens import decode_access_token
from backend.settings import Settings
from backend.web.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SessionCodec,
    WebSession,
    new_csrf_nonce,
    rotate,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Swagger UI and ReDoc load their own scripts; every other response gets the strict policy.
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
RENEW_BEFORE_S = 60


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL ("" for anything else)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def csp_allowing_forms_to(*urls: str) -> str:
    """The strict policy, with form submissions also allowed to redirect to these origins.

    A page whose form answers with a redirect off this site (Connect YouTube: 303 to
    Google's consent page) needs it: browsers check ``form-action`` on every redirect of
    a form submission, against the policy of the page that holds the form.
    """
    origins = sorted({o for o in map(origin_of, urls) if o})
    if not origins:
        return CSP
    return CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def codec_for(app: Any) -> SessionCodec:
    codec: SessionCodec | None = getattr(app.state, "web_codec", None)
    if codec is None:
        settings: Settings = app.state.settings
        codec = SessionCodec(settings.resolved_secret_key())
        app.state.web_codec = codec
    return codec


def csrf_session(request: Any) -> str:
    """The session id that this request's CSRF tokens bind to ("" when not signed in)."""
    return str(getattr(request.state, "csrf_session", "") or "")


def session_cookie(value: str, *, max_age: int, secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{flags}"


def clear_session_cookie(secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{flags}"


def csrf_cookie(nonce: str, secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax{flags}"


def request_cookies(scope: Scope) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
    return cookies


def is_secure(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


def _token_state(token: str, secret: str, *, renew_before_s: float) -> str:
    """``valid``, ``expiring`` (renew it now) or ``invalid``."""
    try:
        claims = decode_access_token(token, secret)
    except Unauthorized as exc:
        return "expiring" if exc.code == "token_expired" else "invalid"
    left = (claims.expires_at - utcnow()).total_seconds()
    return "valid" if left > renew_before_s else "expiring"


class WebSessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        set_cookies = await self._resolve(scope)
        path: str = scope.get("path", "")
        strict = not path.startswith(DOCS_PATHS)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend((b"set-cookie", c.encode("latin-1")) for c in set_cookies)
                if strict and not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _resolve(self, scope: Scope) -> list[str]:
        """Fill ``scope['state']`` from the cookies; return the Set-Cookie values to send."""
        app = scope["app"]
        state = scope.setdefault("state", {})
        http = scope["type"] == "http"
        secure = is_secure(scope)
        path: str = scope.get("path", "")
        api = path.startswith("/api/")
        cookies = request_cookies(scope)
        out: list[str] = []
        nonce = cookies.get(CSRF_COOKIE)
        if not nonce or len(nonce) > 64:
            nonce = None
            if http and not api:
                nonce = new_csrf_nonce()
                out.append(csrf_cookie(nonce, secure))
        state["csrf_nonce"] = nonce
        raw = cookies.get(SESSION_COOKIE)
        if not raw or (api and scope.get("method", "GET") not in SAFE_METHODS):
            return out
        codec = codec_for(app)
        settings: Settings = app.state.settings
        current = codec.decode(raw)
        # a socket cannot receive a renewed cookie: it uses any unexpired token
        renew_before = RENEW_BEFORE_S if http else 0
        secret = settings.resolved_secret_key()
        verdict = (
            _token_state(current.access_token, secret, renew_before_s=renew_before)
            if current
            else ""
        )
        if current is not None and verdict == "expiring" and http:
            current = await rotate(
                codec, app.state.redis.aio, app.state.sessionmaker, settings, current
            )
            if current is not None:
                max_age = settings.refresh_token_days * 86400
                out.append(session_cookie(codec.encode(current), max_age=max_age, secure=secure))
                verdict = "valid"
        if current is None or verdict == "invalid":
            if http:
                out.append(clear_session_cookie(secure))
            return out
        if verdict == "valid":
            state["session_token"] = current.access_token
            state["web_session"] = current
            state["csrf_session"] = current.sid  # form tokens are bound to this session
        return out


__all__ = ["WebSession", "WebSessionMiddleware"]
