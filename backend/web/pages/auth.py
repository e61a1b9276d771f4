"""Sign in and sign out with the session cookie, through the API's auth service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from backend.auth import service as auth_service
from backend.auth.throttle import LoginThrottle
from backend.deps import RedisDep, SessionDep, SettingsDep
from backend.errors import TooManyRequests
from backend.models import User
from backend.security.tokens import decode_access_token
from backend.web.deps import Csrf, safe_next
from backend.web.middleware import clear_session_cookie, codec_for, is_secure, session_cookie
from backend.web.routing import page_router, redirect
from backend.web.session import from_pair
from backend.web.templating import render

router = page_router()


def _login_form(
    request: Request,
    *,
    email: str = "",
    next_url: str = "/",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "login.html",
        {"email": email, "next": safe_next(next_url), "error": error},
        status_code=status_code,
    )


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    if getattr(request.state, "session_token", None):
        return redirect(safe_next(next))
    return _login_form(request, next_url=next)


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    email = email.strip()
    if not email or not password:
        return _login_form(
            request,
            email=email,
            next_url=next,
            status_code=400,
            error="Enter your email address and password.",
        )
    throttle = LoginThrottle(redis, settings.login_max_failures, settings.login_window_seconds)
    address = request.client.host if request.client else "unknown"
    try:
        await throttle.check(email, address)
    except TooManyRequests as exc:
        minutes = max(exc.retry_after // 60, 1)
        return _login_form(
            request,
            email=email,
            next_url=next,
            status_code=429,
            error=f"Too many failed attempts. Try again in about {minutes} min.",
        )
    user = await auth_service.authenticate(session, email, password)
    if user is None:
        await throttle.failed(email, address)
        return _login_form(
            request,
            email=email,
            next_url=next,
            status_code=401,
            error="That email and password do not match an active account.",
        )
    await throttle.succeeded(email)
    pair = await auth_service.issue_tokens(session, settings, user)
    response = redirect(safe_next(next))
    value = codec_for(request.app).encode(from_pair(pair))
    max_age = settings.refresh_token_days * 86400
    response.headers.append(
        "set-cookie", session_cookie(value, max_age=max_age, secure=is_secure(request.scope))
    )
    return response


@router.post("/logout", dependencies=[Csrf])
async def logout(
    request: Request, session: SessionDep, settings: SettingsDep, redis: RedisDep
) -> Response:
    """Revoke the session's refresh-token family and deny its access token."""
    web = getattr(request.state, "web_session", None)
    if web is not None:
        claims = decode_access_token(web.access_token, settings.resolved_secret_key())
        user = await session.get(User, claims.user_id)
        if user is not None:
            await auth_service.logout(session, redis, user, claims, web.refresh_token)
    response = redirect("/login?signed_out=1")
    response.headers.append("set-cookie", clear_session_cookie(is_secure(request.scope)))
    return response
