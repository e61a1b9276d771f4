"""Analytics: views, watch time, revenue, RPM, cost and profit per channel and per video over
a chosen range, as charts; the best and worst videos by profit; the CSV export's links.
Also the video page's analytics card (``_video_analytics.html``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import service as analytics_service
from backend.analytics.schemas import ChannelAnalytics, DailyPoint, VideoAnalytics, VideoDay
from backend.channels import repository as channel_repository
from backend.db.base import utcnow
from backend.deps import SessionDep, parse_uuid
from backend.errors import BadRequest, NotFound
from backend.models import Channel, Video
from backend.publishing.quota import pacific_day
from backend.web.charts import (
    Series,
    bar_list,
    column_chart,
    diverging_bars,
    fmt_money,
    fmt_number,
    line_chart,
)
from backend.web.deps import PageUser
from backend.web.pages.common import analytics_charts, day_label, sum_days
from backend.web.routing import page_router
from backend.web.templating import render

router = page_router()

PRESETS = (7, 30, 90, 365)


def channel_charts(days: Sequence[DailyPoint]) -> dict[str, Markup]:
    """Money and views (as on the overview), watch time and RPM per day."""
    labels = [day_label(d.day) for d in days]
    return {
        **analytics_charts(days),
        "watch": column_chart(
            "Watch time per day (hours)",
            labels,
            [round(d.watch_time_minutes / 60, 2) for d in days],
        ),
        "rpm": line_chart(
            "RPM per day (revenue per 1,000 views)",
            labels,
            [Series("RPM", [analytics_service.rpm(d.revenue_usd, d.views) for d in days])],
            fmt=fmt_money,
        ),
    }


def summary(rows: Sequence[ChannelAnalytics]) -> dict[str, Any]:
    """The range's figures over the chosen channels. Revenue adds up the channel-days whose
    revenue is known (None when none is), RPM divides it by those days' views only, and
    ``unknown_days`` counts the days on which some channel's revenue is unknown."""
    points = [d for r in rows for d in r.days]
    known = [d for d in points if d.revenue_usd is not None]
    revenue = round(sum(d.revenue_usd or 0.0 for d in known), 6) if known else None
    cost = round(sum(d.cost_usd for d in points), 6)
    unknown = {d.day for d in points if d.revenue_usd is None}
    return {
        "views": sum(d.views for d in points),
        "watch_hours": sum(d.watch_time_minutes for d in points) / 60,
        "revenue_usd": revenue,
        "cost_usd": cost,
        "profit_usd": None if revenue is None else round(revenue - cost, 6),
        "rpm_usd": analytics_service.rpm(revenue, sum(d.views for d in known)),
        "roi_pct": analytics_service.roi_pct(revenue, cost),
        "unknown_days": len(unknown),
    }


def export_links(first: date, last: date, channel: str) -> dict[str, str]:
    links = {}
    for scope in ("channels", "videos"):
        query = {"format": "csv", "scope": scope, "from": first.isoformat(), "to": last.isoformat()}
        if channel:
            query["channel"] = channel
        links[scope] = "/api/v1/analytics/export?" + urlencode(query)
    return links


def _chosen(channels: list[Channel], channel: str | None) -> list[Channel]:
    if not channel:
        return channels
    wanted = parse_uuid(channel, "channel")
    found = [c for c in channels if c.id == wanted]
    if not found:
        raise NotFound("channel", wanted)
    return found


@router.get("/analytics")
async def analytics_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    today = utcnow().date()
    error = None
    try:
        first, last = analytics_service.resolve_range(start, end, today)
    except BadRequest as exc:  # the page, its form with what was typed, and the reason
        error = exc.message
        first, last = analytics_service.resolve_range(None, None, today)
    channels = await channel_repository.list_for_owner(session, user.id)
    chosen = _chosen(channels, channel)
    rows = []
    for c in chosen:
        result = await analytics_service.channel_analytics(session, c, first, last)
        rows.append((c, result, channel_charts(result.days)))
    combined = sum_days([r[1].days for r in rows])
    ranking = await analytics_service.video_ranking(session, [c.id for c in chosen], first, last)
    names = {c.id: c.name for c in channels}
    ranked = [*ranking.top, *ranking.bottom[::-1]]
    return render(
        request,
        "analytics.html",
        {
            "channels": channels,
            "selected": channel or "",
            "rows": rows,
            "combined": channel_charts(combined) if len(rows) > 1 else None,
            "summary": summary([r[1] for r in rows]),
            "ranking": ranking,
            "names": names,
            "profit_chart": diverging_bars(
                "Profit per video in the range",
                [(v.title, v.profit_usd or 0.0, f"/videos/{v.video_id}") for v in ranked],
            )
            if ranked
            else None,
            "views_chart": bar_list(
                "Most viewed videos in the range",
                [(v.title, float(v.views)) for v in ranking.most_viewed],
                fmt=fmt_number,
            )
            if ranking.most_viewed
            else None,
            "first": first,
            "last": last,
            "form_from": start.isoformat() if error and start else first.isoformat(),
            "form_to": end.isoformat() if error and end else last.isoformat(),
            "span": (last - first).days + 1,
            "presets": [(n, today - timedelta(days=n - 1), today) for n in PRESETS],
            "exports": export_links(first, last, channel or ""),
            "error": error,
        },
        user=user,
        section="analytics",
        status_code=400 if error else 200,
    )


# -- the video page's card --------------------------------------------------------------------
def since_publish(result: VideoAnalytics) -> list[VideoDay]:
    """Every day from publication to YouTube's last reported day: a day without a row is
    0 views and 0 revenue (YouTube reports nothing for it), as on the channel charts."""
    if not result.days:
        return []
    by_day = {d.day: d for d in result.days}
    first = result.days[0].day
    if result.published_at is not None:
        first = min(first, pacific_day(result.published_at))
    last = result.days[-1].day
    out = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        out.append(
            by_day.get(day)
            or VideoDay(
                day=day,
                views=0,
                watch_time_minutes=0.0,
                average_view_duration_seconds=None,
                revenue_usd=0.0,
            )
        )
    return out


async def video_analytics_context(session: AsyncSession, video: Video) -> dict[str, Any]:
    """``video_analytics`` for ``_video_analytics.html``: profit to date and the charts.

    None for a video that never reached YouTube and has no analytics day."""
    result = await analytics_service.video_analytics(session, video)
    days = since_publish(result)
    if not days and not video.youtube_video_id:
        return {"video_analytics": None}
    labels = [day_label(d.day) for d in days]
    charts = {}
    if days:
        charts = {
            "views": column_chart(
                "Views per day since publish", labels, [float(d.views) for d in days]
            ),
            "revenue": line_chart(
                "Revenue per day since publish",
                labels,
                [Series("Revenue", [d.revenue_usd for d in days])],
                fmt=fmt_money,
            ),
        }
    return {
        "video_analytics": {
            "result": result,
            "charts": charts,
            "days": len(days),
            "rpm_usd": analytics_service.rpm(
                result.revenue_usd,
                sum(d.views for d in result.days if d.revenue_usd is not None),
            ),
        }
    }
