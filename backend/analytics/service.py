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
    )


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


async def owned_video(session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID) -> Video:
    video = await repository.owned_video(session, owner_id, video_id)
    if video is None:
        raise NotFound("video", video_id)
    return video
