"""Page routes render errors as pages: a login redirect, a 403 for CSRF, 404 and friends."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from backend.errors import AppError, NotFound
from backend.web.deps import CsrfFailed, LoginRequired
from backend.web.templating import render

log = structlog.get_logger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "code": status},
        status_code=status,
    )


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
                return error_page(
                    request,
                    403,
                    "This form has expired",
                    "The security token of the form was missing or stale. "
                    "Reload the page and submit it again.",
                )
            except NotFound as exc:
                return error_page(request, 404, "Not found", not_found_message(exc))
            except RequestValidationError as exc:
                fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
                return error_page(
                    request, 400, "That request is not valid", f"Check these values: {fields}."
                )
            except AppError as exc:
                return error_page(request, exc.status_code, "Something went wrong", exc.message)

        return page_handler


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def redirect(url: str) -> RedirectResponse:
    """After a successful form post: see the result with a GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)
