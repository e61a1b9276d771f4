from __future__ import annotations

from fastapi import APIRouter

from backend.dashboard import service
from backend.dashboard.schemas import DashboardMetrics
from backend.deps import CurrentUser, RedisDep, SessionDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("/metrics")
async def dashboard_metrics(
    user: CurrentUser, session: SessionDep, redis: RedisDep
) -> DashboardMetrics:
    return await service.metrics(session, redis, user.id)
