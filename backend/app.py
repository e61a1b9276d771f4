"""The API application: REST under /api/v1, system endpoints, one error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.alerts import scrape as alerts_scrape
from backend.analytics.endpoints import router as analytics_router
from backend.auth.endpoints import router as auth_router
from backend.autopilot.endpoints import router as autopilot_router
from backend.backup import metrics as backup_metrics
from backend.channels.endpoints import router as channels_router
from backend.costs import scrape as costs_scrape
from backend.dashboard.endpoints import router as dashboard_router
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.errors import ERROR_RESPONSES, AppError, TooManyRequests
from backend.jobs.worker import EmbeddedWorker, Recurring
from backend.limits import RequestLimitsMiddleware
from backend.media.endpoints import router as media_router
from backend.middleware import ObservabilityMiddleware
from backend.niches.endpoints import favorites_router as niche_favorites_router
from backend.niches.endpoints import router as niches_router
from backend.niches.endpoints import watchlist_router as niche_watchlist_router
from backend.observability.metrics import QueueCollector, ScrapeRefresher
from backend.outages import RETRY_AFTER_S, outage
from backend.pipeline.dispatch import PipelineDispatcher
from backend.publishing import scrape as publishing_scrape
from backend.publishing.endpoints import router as publishing_router
from backend.redis_client import RedisClients, connect
from backend.settings import Settings, get_settings, use_settings
from backend.system.endpoints import router as system_router
from backend.users.endpoints import router as users_router
from backend.videos.endpoints import router as videos_router
from backend.web import install_web
from backend.web.pages.docs import install_docs
from backend.web.routing import browser_error

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1"


API_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    niche_watchlist_router,  # /users/watchlist, before /users/{...}
    niche_favorites_router,  # /users/favorites (its old address), before /users/{...}
    users_router,
    channels_router,
    autopilot_router,
    videos_router,
    publishing_router,
    dashboard_router,
    analytics_router,
    media_router,
    niches_router,
)


@dataclass
class Assembly:
    """What a running YTEMPIRE holds: the database, Redis, the pipeline's dispatcher (what
    the videos service tells about queued videos) and, embedded, the in-process worker."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: RedisClients
    dispatcher: PipelineDispatcher
    worker: EmbeddedWorker | None


@asynccontextmanager
async def assemble(
    settings: Settings,
    *,
    run_worker: bool,
    recurring: Sequence[Recurring] | None = None,
    migrate_first: bool = False,
    worker_stop_s: float = 2.0,
) -> AsyncIterator[Assembly]:
    """The one place that wires the parts together; ``serve`` (the app's lifespan) and
    ``ytempire demo`` both run inside it. ``recurring`` replaces the worker's default
    recurring jobs (the demo runs only the reconciler)."""
    use_settings(settings)
    engine = create_engine(settings)
    redis = connect(settings)
    worker: EmbeddedWorker | None = None
    try:
        if migrate_first:
            await migrate.upgrade(engine)
        if run_worker:
            worker = EmbeddedWorker(redis.sync, settings, recurring=recurring)
            worker.start()
        yield Assembly(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            redis=redis,
            dispatcher=PipelineDispatcher(redis.sync),
            worker=worker,
        )
    finally:
        if worker is not None:
            worker.stop(timeout_s=worker_stop_s)
        await redis.close()
        await engine.dispose()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    settings.resolved_secret_key()  # refuses to start with a missing or placeholder secret
    async with assemble(settings, run_worker=app.state.run_worker) as parts:
        app.state.engine = parts.engine
        app.state.sessionmaker = parts.sessions
        app.state.redis = parts.redis
        app.state.dispatcher = parts.dispatcher
        registry = CollectorRegistry(auto_describe=True)
        registry.register(QueueCollector(parts.redis.sync))
        app.state.metrics_registry = registry
        app.state.metrics_refreshers = metrics_refreshers(parts)
        app.state.worker = parts.worker
        log.info(
            "api.started",
            database=parts.engine.dialect.name,
            embedded=settings.embedded,
            in_process_worker=parts.worker is not None,
        )
        yield


def metrics_refreshers(parts: Assembly) -> list[ScrapeRefresher]:
    """Gauges read from the database when /metrics is scraped (throttled, time-boxed)."""

    async def publishing() -> None:
        await publishing_scrape.refresh_gauges(parts.sessions, parts.settings.youtube_upload_quota)

    async def alerts() -> None:
        await alerts_scrape.refresh_gauges(parts.sessions, parts.settings)

    async def backups() -> None:  # from the backup dir's sidecar files, not the database
        await backup_metrics.refresh(parts.settings.resolved_backup_dir)

    async def costs() -> None:
        await costs_scrape.refresh_gauges(parts.sessions)

    return [
        ScrapeRefresher("publishing", publishing, min_interval_s=5.0, timeout_s=2.0),
        ScrapeRefresher("costs", costs, min_interval_s=5.0, timeout_s=2.0),
        ScrapeRefresher("alerts", alerts, min_interval_s=5.0, timeout_s=2.0),
        ScrapeRefresher("backups", backups, min_interval_s=5.0, timeout_s=2.0),
    ]


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="YTEMPIRE",
        version="0.1.0",
        description="Self-hosted YouTube production appliance",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
    )
    use_settings(settings)
    app.state.settings = settings
    # Embedded Redis lives in this process, so its jobs can only run here.
    app.state.run_worker = settings.embedded if run_worker is None else run_worker
    app.add_middleware(
        RequestLimitsMiddleware,
        max_bytes=settings.max_request_bytes,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(ObservabilityMiddleware)  # outermost: 413s are counted and get headers
    install_error_handlers(app)
    app.include_router(system_router, responses={503: ERROR_RESPONSES[503]})
    for router in API_ROUTERS:  # every API operation declares the error statuses it can answer
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    install_web(app)
    install_docs(app)
    return app


def error_response(
    status: int,
    code: str,
    message: str,
    details: object = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        headers = None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", [])), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        return error_response(
            422, "validation_error", "The request is not valid", {"errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        page = await browser_error(request, exc.status_code)  # a browser gets a page
        if page is not None:
            return page
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        return error_response(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def _backing_service(_request: Request, exc: Exception) -> JSONResponse:
        return _server_error(exc)

    # A database, Redis or socket failure inside a route is answered here; one raised by a
    # middleware reaches the catch-all below, which answers the same way.
    for error_class in (RedisError, SQLAlchemyError, OSError):
        app.add_exception_handler(error_class, _backing_service)

    @app.exception_handler(Exception)
    async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
        return _server_error(exc)


def _server_error(exc: BaseException) -> JSONResponse:
    """503 with Retry-After while a backing service is unreachable; any other error is a 500."""
    service = outage(exc)
    if service is not None:
        log.warning("api.service_unavailable", service=service, error=type(exc).__name__)
        return service_unavailable(service)
    log.error("api.unhandled_error", error=type(exc).__name__, exc_info=exc)
    return error_response(500, "internal_error", "An unexpected error occurred")


def service_unavailable(service: str) -> JSONResponse:
    names = {"database": "The database", "redis": "Redis"}
    return error_response(
        503,
        "service_unavailable",
        f"{names.get(service, 'A backing service')} is unreachable; try again in a few seconds",
        {"service": service, "retry_after": RETRY_AFTER_S},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
