"""Sign in and sign out with the session cookie, through the API's auth service.

First run: while the appliance has no user, ``/login`` (and so every page) leads to
``/setup``, where the owner creates the first account (an admin) and is signed in.
Once any user exists, ``/setup`` answers 404.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from fastapi import Form, Request, Response

from backend.auth import service as auth_service
from backend.auth.schemas import TokenPair
from backend.auth.throttle import login_throttle
from backend.deps import RedisDep, SessionDep, SettingsDep, get_current_user
from backend.errors import Conflict, NotFound, TooManyRequests, Unauthorized
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
async def login_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    next: str = "/",
) -> Response:
    if getattr(request.state, "session_token", None):
        try:
            await get_current_user(request, None, session, settings, redis)
            return redirect(safe_next(next))
        except Unauthorized:
            # a deactivated account or a changed password: the cookie is dead; drop it
            # (sending the visitor on would bounce between this form and the page)
            request.state.csrf_session = ""  # so the form's token binds to no session
            response = _login_form(request, next_url=next)
            response.headers.append("set-cookie", clear_session_cookie(is_secure(request.scope)))
            return response
    if not await auth_service.has_users(session):
        return redirect("/setup")
    return _login_form(request, next_url=next)


def _signed_in(request: Request, settings: SettingsDep, pair: TokenPair, to: str) -> Response:
    """A redirect that carries the new session cookie."""
    response = redirect(to)
    value = codec_for(request.app).encode(from_pair(pair))
    max_age = settings.refresh_token_days * 86400
    response.headers.append(
        "set-cookie", session_cookie(value, max_age=max_age, secure=is_secure(request.scope))
    )
    return response


def _setup_form(
    request: Request,
    *,
    email: str = "",
    full_name: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "signup.html",
        {"email": email, "full_name": full_name, "errors": errors or {}},
        status_code=status_code,
    )


def setup_errors(email: str, password: str, confirm: str) -> dict[str, str]:
    """Plain-word problems with the owner sign-up form, keyed by field."""
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address."
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            errors["email"] = f"That is not a valid email address: {exc}"
    if not 10 <= len(password) <= 128:
        errors["password"] = "Use between 10 and 128 characters."  # noqa: S105
    elif password != confirm:
        errors["confirm"] = "The two passwords differ."
    return errors


@router.get("/setup")
async def setup_page(request: Request, session: SessionDep) -> Response:
    if await auth_service.has_users(session):
        raise NotFound("page")
    return _setup_form(request)


@router.post("/setup", dependencies=[Csrf])
async def setup(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create the owner (an admin) and sign them in; only while there is no user."""
    email, full_name = email.strip(), full_name.strip()
    errors = setup_errors(email, password, confirm)
    if errors:
        if not await auth_service.has_users(session):
            return _setup_form(
                request, email=email, full_name=full_name, errors=errors, status_code=400
            )
        raise NotFound("page")
    try:
        user = await auth_service.create_owner(
            session, settings, email=email, password=password, full_name=full_name or None
        )
    except Conflict as exc:  # someone else finished the sign-up first
        raise NotFound("page") from exc
    pair = await auth_service.issue_tokens(session, settings, user)
    return _signed_in(request, settings, pair, "/")


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
    throttle = login_throttle(redis, settings)
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
    return _signed_in(request, settings, pair, safe_next(next))


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
