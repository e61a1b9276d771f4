from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import ChannelDailyMetric, Video


async def video_counts(
    session: AsyncSession, channel_ids: list[uuid.UUID], day_start: datetime
) -> list[tuple[uuid.UUID, str, int, int, int]]:
    """(channel, status, count, completed today, failed today) in one pass over the index."""
    query = (
        select(
            Video.channel_id,
            Video.status,
            func.count(),
            func.sum(case((Video.completed_at >= day_start, 1), else_=0)),
            func.sum(case((Video.failed_at >= day_start, 1), else_=0)),
        )
        .where(Video.channel_id.in_(channel_ids))
        .group_by(Video.channel_id, Video.status)
    )
    rows = await session.execute(query)
    return [
        (c, str(s.value if hasattr(s, "value") else s), int(n), int(d or 0), int(f or 0))
        for c, s, n, d, f in rows
    ]


async def revenue_since(
    session: AsyncSession, channel_ids: list[uuid.UUID], since: date
) -> dict[uuid.UUID, float]:
    query = (
        select(ChannelDailyMetric.channel_id, func.sum(ChannelDailyMetric.revenue_usd))
        .where(ChannelDailyMetric.channel_id.in_(channel_ids), ChannelDailyMetric.day >= since)
        .group_by(ChannelDailyMetric.channel_id)
    )
    return {cid: float(total or 0) for cid, total in await session.execute(query)}
