"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from backend.observability.metrics import refresh_before_scrape
from backend.system import service
from backend.system.schemas import Readiness

router = APIRouter(tags=["system"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=Readiness)
async def ready(request: Request) -> JSONResponse:
    state = request.app.state
    result = await service.readiness(state.engine, state.redis.aio)
    status = 200 if result.status == "ready" else 503
    return JSONResponse(result.model_dump(), status_code=status)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    await refresh_before_scrape(request.app.state)  # gauges read from the database
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
