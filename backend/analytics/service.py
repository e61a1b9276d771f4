from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.schemas import ChannelAnalytics, DailyPoint
from backend.errors import BadRequest
from backend.models import Channel, ChannelDailyMetric

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
