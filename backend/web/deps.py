"""Page dependencies: the signed-in user (or a redirect to the login form) and CSRF checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from backend.deps import RedisDep, SessionDep, SettingsDep, get_current_user
from backend.errors import Unauthorized
from backend.models import User
from backend.web.session import CSRF_FIELD, CSRF_HEADER


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def location(self) -> str:
        return f"/login?next={quote(self.next_url, safe='/')}"


class CsrfFailed(Exception):
    """A form post without a valid CSRF token."""


def current_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def get_page_user(
    request: Request, session: SessionDep, settings: SettingsDep, redis_client: RedisDep
) -> User:
    if not getattr(request.state, "session_token", None):
        raise LoginRequired(current_path(request) if request.method == "GET" else "/")
    try:
        return await get_current_user(request, None, session, settings, redis_client)
    except Unauthorized as exc:
        raise LoginRequired(current_path(request) if request.method == "GET" else "/") from exc


async def check_csrf(request: Request) -> None:
    """The form's token must be this CSRF cookie's and this session's (or, signed out, none)."""
    from backend.web.middleware import codec_for, csrf_session

    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    nonce = getattr(request.state, "csrf_nonce", None)
    if not codec_for(request.app).csrf_valid(nonce, token, csrf_session(request)):
        raise CsrfFailed()


PageUser = Annotated[User, Depends(get_page_user)]
Csrf = Depends(check_csrf)


def safe_next(value: str | None) -> str:
    """A same-site path to go to after signing in (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
