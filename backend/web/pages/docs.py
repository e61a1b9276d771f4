"""``/docs`` (Swagger UI) and ``/redoc`` served from local files: nothing from a CDN.

The assets ship in the ``fastapi-offline`` package; the pages are ours, with no inline
script (Swagger UI starts from ``/static/docs-init.js``) and their own CSP: both UIs set
inline styles, and ReDoc renders in a blob worker.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

from backend.web.templating import static_url

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


# ReDoc's bundle shows a logo from its CDN; ours points at the local favicon instead.
REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def redoc_bundle() -> bytes:
    return (
        (ASSETS_DIR / "redoc.standalone.js")
        .read_bytes()
        .replace(REDOC_CDN_LOGO, f"{ASSETS_URL}/favicon.png".encode())
    )


def _page(title: str, head: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="icon" href="{ASSETS_URL}/favicon.png">{head}</head>'
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, headers={"content-security-policy": DOCS_CSP})


def install_docs(app: FastAPI) -> None:
    """Mount the assets and the two pages; the app is created with docs_url=None."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = escape(app.title)
    router = APIRouter(include_in_schema=False)

    @router.get(f"{ASSETS_URL}/redoc.standalone.js")
    async def redoc_js() -> Response:
        return Response(
            redoc_bundle(),
            media_type="text/javascript",
            headers={"cache-control": "public, max-age=86400"},
        )

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        head = f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">'
        body = (
            f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>'
            f'<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>'
            f'<script src="{static_url("docs-init.js")}"></script>'
        )
        return _page(f"{title} - Swagger UI", head, body)

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        body = (
            f'<redoc spec-url="{escape(openapi_url)}"></redoc>'
            f'<script src="{ASSETS_URL}/redoc.standalone.js"></script>'
        )
        return _page(f"{title} - ReDoc", "", body)

    app.include_router(router)  # before the mount, so the patched ReDoc bundle wins
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
