from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import ChannelDailyMetric, CostEvent


async def daily_metrics(
    session: AsyncSession, channel_id: uuid.UUID, start: date, end: date
) -> list[ChannelDailyMetric]:
    query = select(ChannelDailyMetric).where(
        ChannelDailyMetric.channel_id == channel_id,
        ChannelDailyMetric.day >= start,
        ChannelDailyMetric.day <= end,
    )
    return list(await session.scalars(query))


async def daily_cost(
    session: AsyncSession, channel_id: uuid.UUID, start: date, end: date
) -> dict[date, float]:
    """Cost per UTC day; the day is computed in SQL for each dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        day = func.date(func.timezone("UTC", CostEvent.occurred_at))
    else:
        day = func.date(CostEvent.occurred_at)
    lower = datetime.combine(start, time.min, UTC)
    upper = datetime.combine(end + timedelta(days=1), time.min, UTC)
    query = (
        select(day, func.sum(CostEvent.amount_usd))
        .where(
            CostEvent.channel_id == channel_id,
            CostEvent.occurred_at >= lower,
            CostEvent.occurred_at < upper,
        )
        .group_by(day)
    )
    out: dict[date, float] = {}
    for key, total in await session.execute(query):
        out[key if isinstance(key, date) else date.fromisoformat(str(key))] = float(total or 0)
    return out
