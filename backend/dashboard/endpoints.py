from __future__ import annotations

from fastapi import APIRouter, Response

from backend.dashboard import service
from backend.dashboard.schemas import DashboardMetrics
from backend.deps import CurrentUser, RedisDep, SessionDep, SettingsDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("/metrics", response_model=DashboardMetrics)
async def dashboard_metrics(
    user: CurrentUser, session: SessionDep, redis: RedisDep, settings: SettingsDep
) -> Response:
    body = await service.metrics_json(session, redis, user.id, settings.dashboard_cache_seconds)
    return Response(body, media_type="application/json")
