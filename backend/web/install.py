"""Mount the owner dashboard on the API app: pages, static assets, ``/ws`` and the session."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.web.middleware import WebSessionMiddleware
from backend.web.pages import (
    admin,
    analytics,
    auth,
    channels,
    music,
    niches,
    overview,
    system,
    videos,
    youtube,
)
from backend.web.templating import STATIC_DIR
from backend.web.ws import router as ws_router

PAGE_ROUTERS = (
    auth.router,
    overview.router,
    channels.router,
    music.router,
    videos.router,
    niches.router,
    analytics.router,
    system.router,
    admin.router,
    youtube.router,
)


def install_web(app: FastAPI) -> None:
    """Add the dashboard to ``app`` (idempotent); call it from ``create_app``."""
    if getattr(app.state, "web_installed", False):
        return
    app.state.web_installed = True
    app.add_middleware(WebSessionMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.include_router(ws_router)
