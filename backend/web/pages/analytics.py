"""Analytics: views, revenue, cost and profit per channel over a chosen range."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request, Response

from backend.analytics import service as analytics_service
from backend.channels import repository as channel_repository
from backend.db.base import utcnow
from backend.deps import SessionDep
from backend.errors import BadRequest
from backend.web.deps import PageUser
from backend.web.pages.common import analytics_charts, sum_days
from backend.web.routing import page_router
from backend.web.templating import render

router = page_router()

PRESETS = (7, 30, 90, 365)


@router.get("/analytics")
async def analytics_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    channel: str | None = None,
) -> Response:
    today = utcnow().date()
    error = None
    try:
        first, last = analytics_service.resolve_range(start, end, today)
    except BadRequest as exc:
        error = exc.message
        first, last = analytics_service.resolve_range(None, None, today)
    channels = await channel_repository.list_for_owner(session, user.id)
    chosen = [c for c in channels if channel in (None, "", str(c.id))] or channels
    rows = []
    for c in chosen:
        result = await analytics_service.channel_analytics(session, c, first, last)
        rows.append((c, result, analytics_charts(result.days)))
    combined = sum_days([r[1].days for r in rows])
    span = (last - first).days + 1
    return render(
        request,
        "analytics.html",
        {
            "channels": channels,
            "selected": channel or "",
            "rows": rows,
            "combined": analytics_charts(combined) if len(rows) > 1 else None,
            "first": first,
            "last": last,
            "span": span,
            "presets": [(n, today - timedelta(days=n - 1), today) for n in PRESETS],
            "error": error,
        },
        user=user,
        section="analytics",
    )
