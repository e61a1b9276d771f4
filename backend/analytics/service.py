from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.schemas import (
    ChannelAnalytics,
    DailyPoint,
    VideoAnalytics,
    VideoDay,
    VideoProfit,
    VideoRangeRow,
    VideoRanking,
)
from backend.db.base import ZERO
from backend.errors import BadRequest, NotFound
from backend.models import Channel, ChannelDailyMetric, Video

MAX_DAYS = 366


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or today
    start = start or end - timedelta(days=min(29, (end - date.min).days))  # no overflow
    if start > end:
        raise BadRequest(
            "'from' must not be after 'to'",
            code="invalid_range",
            details={"from": start.isoformat(), "to": end.isoformat()},
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(f"a range covers at most {MAX_DAYS} days", code="invalid_range")
    return start, end


async def channel_analytics(
    session: AsyncSession, channel: Channel, start: date, end: date
) -> ChannelAnalytics:
    metrics = {m.day: m for m in await repository.daily_metrics(session, channel.id, start, end)}
    costs = await repository.daily_cost(session, channel.id, start, end)
    days = []
    day = start
    while day <= end:
        m = metrics.get(day)
        revenue = _revenue(m)
        cost = costs.get(day, 0.0)
        days.append(
            DailyPoint(
                day=day,
                views=m.views if m else 0,
                watch_time_minutes=m.watch_time_minutes if m else 0.0,
                revenue_usd=None if revenue is None else round(revenue, 6),
                cost_usd=round(cost, 6),
                profit_usd=None if revenue is None else round(revenue - cost, 6),
            )
        )
        day += timedelta(days=1)
    known = [d.revenue_usd for d in days if d.revenue_usd is not None]
    revenue_total = round(sum(known), 6) if known else None
    cost_total = round(sum(d.cost_usd for d in days), 6)
    totals = DailyPoint(
        day=end,
        views=sum(d.views for d in days),
        watch_time_minutes=round(sum(d.watch_time_minutes for d in days), 3),
        revenue_usd=revenue_total,
        cost_usd=cost_total,
        profit_usd=None if revenue_total is None else round(revenue_total - cost_total, 6),
    )
    return ChannelAnalytics(
        channel_id=channel.id,
        start=start,
        end=end,
        days=days,
        totals=totals,
        revenue_unknown_days=len(days) - len(known),
        rpm_usd=range_rpm(days),
        roi_pct=roi_pct(revenue_total, cost_total),
    )


def rpm(revenue_usd: float | None, views: int) -> float | None:
    """Revenue per 1,000 views; None when the revenue is unknown or there are no views."""
    if revenue_usd is None or views <= 0:
        return None
    return round(revenue_usd / views * 1000, 4)


def range_rpm(days: Sequence[DailyPoint]) -> float | None:
    """RPM over the days whose revenue is known (an unknown day's views are left out)."""
    known = [d for d in days if d.revenue_usd is not None]
    if not known:
        return None
    return rpm(sum(d.revenue_usd or 0.0 for d in known), sum(d.views for d in known))


def roi_pct(revenue_usd: float | None, cost_usd: float) -> float | None:
    """(revenue - cost) / cost in percent; None when the revenue is unknown or the cost 0."""
    if revenue_usd is None or cost_usd <= 0:
        return None
    return round((revenue_usd - cost_usd) / cost_usd * 100, 1)


def _revenue(metric: ChannelDailyMetric | None) -> float | None:
    """A day's revenue: 0 without a row (nothing reported), None when YouTube's is unknown."""
    if metric is None:
        return 0.0
    return None if metric.revenue_usd is None else float(metric.revenue_usd)


def _usd(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 6)


async def video_profits(
    session: AsyncSession, video_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, VideoProfit]:
    """Revenue to date minus the cost ledger, for each of ``video_ids`` (one query each)."""
    ids = list(video_ids)
    totals = await repository.video_totals(session, ids)
    costs = await repository.video_costs(session, ids)
    out = {}
    for video_id in ids:
        total = totals.get(video_id)
        cost = costs.get(video_id, ZERO)
        revenue = total.revenue_usd if total else ZERO  # no row yet: nothing earned
        out[video_id] = VideoProfit(
            video_id=video_id,
            views=total.views if total else 0,
            watch_time_minutes=round(total.watch_time_minutes, 3) if total else 0.0,
            revenue_usd=_usd(revenue),
            revenue_unknown_days=total.unknown_days if total else 0,
            cost_usd=round(float(cost), 6),
            profit_usd=None if revenue is None else _usd(revenue - cost),
            metrics_through=total.last_day if total else None,
        )
    return out


async def video_analytics(session: AsyncSession, video: Video) -> VideoAnalytics:
    profit = (await video_profits(session, [video.id]))[video.id]
    snapshot = await repository.latest_snapshot(session, video.id)
    days = [
        VideoDay(
            day=m.day,
            views=m.views,
            watch_time_minutes=m.watch_time_minutes,
            average_view_duration_seconds=m.average_view_duration_seconds,
            revenue_usd=_usd(m.revenue_usd),
        )
        for m in await repository.video_days(session, video.id)
    ]
    return VideoAnalytics(
        **profit.model_dump(),
        channel_id=video.channel_id,
        youtube_video_id=video.youtube_video_id,
        published_at=video.published_at,
        latest_views=snapshot.views if snapshot else None,
        latest_views_at=snapshot.taken_at if snapshot else None,
        days=days,
    )


RANKED = 5  # videos in each of the top and the bottom lists
UNKNOWN_SHOWN = 10


def _range_row(r: repository.VideoRange) -> VideoRangeRow:
    revenue = _usd(r.revenue_usd)
    cost = round(float(r.cost_usd), 6)
    return VideoRangeRow(
        video_id=r.video_id,
        channel_id=r.channel_id,
        title=r.title,
        views=r.views,
        watch_time_minutes=round(r.watch_time_minutes, 3),
        revenue_usd=revenue,
        revenue_unknown_days=r.unknown_days,
        rpm_usd=rpm(revenue, r.views_known),
        cost_usd=cost,
        profit_usd=None if revenue is None else round(revenue - cost, 6),
    )


async def video_ranking(
    session: AsyncSession,
    channel_ids: Sequence[uuid.UUID],
    start: date,
    end: date,
    *,
    size: int = RANKED,
) -> VideoRanking:
    """The videos of ``channel_ids`` over [start, end] by profit in the range.

    A video whose revenue is unknown on every day has an unknown profit: it is not ranked
    (ranking it as 0 would put it above every video that lost money), and is listed apart.
    A video with some unknown days is ranked on its known days (``revenue_unknown_days``
    says so)."""
    rows = [_range_row(r) for r in await repository.video_ranges(session, channel_ids, start, end)]
    ranked = sorted(
        (r for r in rows if r.profit_usd is not None),
        key=lambda r: (-(r.profit_usd or 0.0), -r.views, r.title, str(r.video_id)),
    )
    # Fewer than 2 x size ranked: half each way, so a loss is never listed among the best.
    top = ranked[: min(size, (len(ranked) + 1) // 2)]
    bottom = ranked[len(top) :][::-1][:size]
    unknown = sorted((r for r in rows if r.profit_usd is None), key=lambda r: (-r.views, r.title))
    return VideoRanking(
        top=top,
        bottom=bottom,
        unknown=unknown[:UNKNOWN_SHOWN],
        most_viewed=sorted((r for r in rows if r.views), key=lambda r: (-r.views, r.title))[
            : 2 * size
        ],
        ranked=len(ranked),
        total=len(rows),
    )


async def owned_video(session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID) -> Video:
    video = await repository.owned_video(session, owner_id, video_id)
    if video is None:
        raise NotFound("video", video_id)
    return video
