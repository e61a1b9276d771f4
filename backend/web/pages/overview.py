"""The overview: KPI cards (refreshed every 60 s by the browser), 30-day charts, alerts."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response

from backend.analytics import service as analytics_service
from backend.channels import repository as channel_repository
from backend.dashboard import service as dashboard_service
from backend.db.base import utcnow
from backend.deps import RedisDep, SessionDep, SettingsDep
from backend.publishing.quota import quota_status
from backend.web import repository
from backend.web.charts import bar_list, fmt_money
from backend.web.deps import PageUser
from backend.web.pages.common import analytics_charts, quota_context, sum_days
from backend.web.routing import page_router
from backend.web.templating import render

router = page_router()

ALERT_TYPES = (
    "video.failed",
    "video.publish_failed",
    "video.publish_held",
    "channel.needs_reconnect",
    "video.needs_review",
    "cost.alert",
    "channel.paused",
    "niche.alert",
    "system.alert",
)


@router.get("/")
async def overview(
    request: Request, user: PageUser, session: SessionDep, redis: RedisDep, settings: SettingsDep
) -> Response:
    metrics = await dashboard_service.metrics(session, redis, user.id)
    channels = await channel_repository.list_for_owner(session, user.id)
    end = utcnow().date()
    start = end - timedelta(days=29)
    per_channel = [
        (await analytics_service.channel_analytics(session, c, start, end)).days for c in channels
    ]
    days = sum_days(per_channel)
    charts = analytics_charts(days) if days else {}
    if metrics.channels:
        charts["spend"] = bar_list(
            "Spend this month per channel",
            [(m.name, m.cost_month_usd) for m in metrics.channels],
            fmt=fmt_money,
        )
    alerts = await repository.recent_events(session, user.id, limit=6, types=ALERT_TYPES)
    return render(
        request,
        "overview.html",
        {
            "metrics": metrics,
            "charts": charts,
            "alerts": alerts,
            "has_channels": bool(channels),
            **quota_context(await quota_status(session, settings.youtube_upload_quota)),
        },
        user=user,
        section="overview",
    )
