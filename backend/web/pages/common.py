"""Pieces several pages share: one-line notices after a redirect, analytics charts, the
YouTube quota card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fastapi import Request
from markupsafe import Markup

from backend.analytics.schemas import DailyPoint
from backend.publishing.quota import COSTS, QuotaStatus
from backend.web.charts import Series, column_chart, fmt_money, gauge, line_chart

NOTICES = {
    "channel_created": "Channel created. Queue its first video below.",
    "channel_saved": "Channel settings saved.",
    "channel_paused": "Channel paused: no new work starts until you resume it.",
    "music_added": "Track added: the channel's videos use its own tracks from now on.",
    "music_removed": "Track removed.",
    "channel_resumed": "Channel resumed.",
    "video_queued": "Video queued. Its stages appear here as the workers run them.",
    "video_retried": "Video queued again; it resumes at its first unfinished stage.",
    "video_cancelled": "Video cancelled.",
    "watched": "Niche added to your watchlist.",
    "unwatched": "Niche removed from your watchlist.",
}


def notice_for(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def day_label(day: date) -> str:
    return day.strftime("%b %d")


def analytics_charts(days: Sequence[DailyPoint]) -> dict[str, Markup]:
    labels = [day_label(d.day) for d in days]
    return {
        "money": line_chart(
            "Revenue, cost and profit per day",
            labels,
            [
                # A day whose revenue is unknown is a gap in the revenue and profit lines
                # (never drawn as 0); the totals say how many days are unknown.
                Series("Revenue", [d.revenue_usd for d in days]),
                Series("Cost", [d.cost_usd for d in days]),
                Series("Profit", [d.profit_usd for d in days]),
            ],
            fmt=fmt_money,
        ),
        "views": column_chart("Views per day", labels, [float(d.views) for d in days]),
    }


def _sum_known(values: Sequence[float | None]) -> float | None:
    """The sum of the known values; None when none is known (unknown revenue is not 0)."""
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known else None


def sum_days(series: Sequence[Sequence[DailyPoint]]) -> list[DailyPoint]:
    """Several channels' daily points added up per day (all cover the same range)."""
    if not series:
        return []
    out = []
    for points in zip(*series, strict=True):
        out.append(
            DailyPoint(
                day=points[0].day,
                views=sum(p.views for p in points),
                watch_time_minutes=round(sum(p.watch_time_minutes for p in points), 3),
                revenue_usd=_sum_known([p.revenue_usd for p in points]),
                cost_usd=round(sum(p.cost_usd for p in points), 6),
                profit_usd=_sum_known([p.profit_usd for p in points]),
            )
        )
    return out


# What one finished upload spends: the insert, the thumbnail and the captions.
UPLOAD_UNITS = sum(
    COSTS[m] for m in ("videos.insert", "thumbnails.set", "captions.list", "captions.insert")
)


def quota_context(quota: QuotaStatus) -> dict[str, object]:
    """The quota card's context (``_quota.html``): the status, its gauge, uploads left."""
    return {
        "quota": quota,
        "quota_gauge": gauge(
            "YouTube Data API units used today",
            quota.used,
            quota.limit,
            unit="units",
            exhausted=quota.exhausted,
        ),
        "quota_uploads": quota.left // UPLOAD_UNITS if UPLOAD_UNITS else None,
    }
