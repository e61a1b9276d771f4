"""Page routes render errors as pages: a login redirect, a 403 for CSRF, 404 and friends."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from backend.deps import get_current_user
from backend.errors import AppError, NotFound, Unauthorized
from backend.models import User
from backend.web.deps import CsrfFailed, LoginRequired
from backend.web.forms import validation_messages
from backend.web.templating import render

log = structlog.get_logger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

BROWSER_ERRORS = {
    404: (
        "Page not found",
        "There is no page at this address. Check the link, or pick a section above.",
    ),
    405: (
        "This address does not take that request",
        "The page exists, but not for this kind of request. Go back and try again from the page.",
    ),
}


async def optional_user(request: Request) -> User | None:
    """The signed-in user of a browser request, or None (never raises, never redirects)."""
    if not getattr(request.state, "session_token", None):
        return None
    app = request.app
    try:
        async with app.state.sessionmaker() as session:
            user = await get_current_user(
                request, None, session, app.state.settings, app.state.redis.aio
            )
            session.expunge(user)
            return user
    except (Unauthorized, AttributeError):
        return None


async def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    back: tuple[str, str] | None = None,
) -> Response:
    """An error as a page, with the navigation when someone is signed in; ``back`` is a
    (path, label) link to the page to try again from."""
    user = await optional_user(request)
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "code": status, "back": back},
        user=user,
        status_code=status,
    )


def wants_html(request: Request) -> bool:
    """A browser asking for a page: Accept names text/html and the path is not the API's."""
    path = request.url.path
    if path == "/api" or path.startswith(("/api/", "/ws")):
        return False
    return "text/html" in request.headers.get("accept", "").lower()


async def browser_error(request: Request, status: int) -> Response | None:
    """The HTML page for a routing error (unknown URL, wrong method) asked for by a browser;
    None for the API and non-HTML clients, which keep the JSON error shape."""
    if status not in BROWSER_ERRORS or not wants_html(request):
        return None
    title, message = BROWSER_ERRORS[status]
    return await error_page(request, status, title, message)


def not_found_message(exc: NotFound) -> str:
    resource = exc.details.get("resource", "page")
    return (
        f"This {resource} does not exist, was deleted, or belongs to another account. "
        "Check the link or go back to the overview."
    )


class PageRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(exc.location, status_code=303)
            except CsrfFailed:
                return await error_page(
                    request,
                    403,
                    "This form has expired",
                    "The security token of the form was missing or stale. "
                    "Reload the page and submit it again.",
                )
            except NotFound as exc:
                return await error_page(request, 404, "Not found", not_found_message(exc))
            except RequestValidationError as exc:
                messages = " ".join(validation_messages(exc.errors()).values())
                return await error_page(
                    request, 400, "That request is not valid", f"Check these values: {messages}"
                )
            except AppError as exc:
                return await error_page(
                    request, exc.status_code, "Something went wrong", exc.message
                )

        return page_handler


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def redirect(url: str) -> RedirectResponse:
    """After a successful form post: see the result with a GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)
