from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import ChannelDailyMetric, CostEvent, Video, VideoStatus

# "Videos made today": finished (reached ready) since midnight UTC and still a result: ready,
# being published or published. A video discarded, cancelled or queued again after it was
# finished no longer counts.
MADE = (VideoStatus.ready, VideoStatus.publishing, VideoStatus.published)


async def video_counts(
    session: AsyncSession, channel_ids: list[uuid.UUID], day_start: datetime
) -> list[tuple[uuid.UUID, str, int, int, int]]:
    """(channel, status, count, made today, failed today).

    Counts come from an index-only scan of (channel_id, status); today's videos made (see
    ``MADE``) and failures from range scans of (channel_id, completed_at) /
    (channel_id, failed_at), so no request reads the heap of every video.
    """
    counts = await session.execute(
        select(Video.channel_id, Video.status, func.count())
        .where(Video.channel_id.in_(channel_ids))
        .group_by(Video.channel_id, Video.status)
    )
    done = await _today(session, channel_ids, Video.completed_at, day_start, MADE)
    failed = await _today(session, channel_ids, Video.failed_at, day_start)
    rows = []
    first: set[uuid.UUID] = set()
    for c, s, n in counts:
        # today's totals ride on the channel's first row; the service sums per channel
        d, f = (0, 0) if c in first else (done.get(c, 0), failed.get(c, 0))
        first.add(c)
        rows.append((c, str(s.value if hasattr(s, "value") else s), int(n), d, f))
    return rows


async def _today(
    session: AsyncSession,
    channel_ids: list[uuid.UUID],
    column: Any,
    day_start: datetime,
    statuses: tuple[VideoStatus, ...] | None = None,
) -> dict[uuid.UUID, int]:
    query = select(Video.channel_id, func.count()).where(
        Video.channel_id.in_(channel_ids), column >= day_start
    )
    if statuses is not None:
        query = query.where(Video.status.in_(statuses))
    query = query.group_by(Video.channel_id)
    return {c: int(n) for c, n in await session.execute(query)}


async def spend_windows(
    session: AsyncSession,
    channel_ids: list[uuid.UUID],
    day_start: datetime,
    month_start: datetime,
    since_30d: datetime,
) -> tuple[dict[uuid.UUID, Decimal], dict[uuid.UUID, Decimal], dict[uuid.UUID, Decimal]]:
    """Spend today, this month and over 30 days in one pass over the cost ledger."""
    if not channel_ids:
        return {}, {}, {}
    amount = CostEvent.amount_usd
    query = (
        select(
            CostEvent.channel_id,
            func.sum(amount).filter(CostEvent.occurred_at >= day_start),
            func.sum(amount).filter(CostEvent.occurred_at >= month_start),
            func.sum(amount).filter(CostEvent.occurred_at >= since_30d),
        )
        .where(
            CostEvent.channel_id.in_(channel_ids),
            CostEvent.occurred_at >= min(month_start, since_30d),
        )
        .group_by(CostEvent.channel_id)
    )
    today: dict[uuid.UUID, Decimal] = {}
    month: dict[uuid.UUID, Decimal] = {}
    last30: dict[uuid.UUID, Decimal] = {}
    for cid, d, m, t in await session.execute(query):
        today[cid], month[cid], last30[cid] = (Decimal(str(v or 0)) for v in (d, m, t))
    return today, month, last30


@dataclass(frozen=True, slots=True)
class Revenue:
    """A channel's YouTube revenue over a window of days."""

    known_usd: float | None  # the known days' sum; None when no day's revenue is known
    unknown_days: int  # days with a row whose revenue is unknown (no monetary scope)


NO_ROWS = Revenue(0.0, 0)  # nothing reported: nothing earned (as on the analytics page)


async def revenue_since(
    session: AsyncSession, channel_ids: list[uuid.UUID], since: date
) -> dict[uuid.UUID, Revenue]:
    """Revenue per channel since ``since``; unknown (NULL) days are counted, never added
    as 0. A channel without a row is not in the answer (``NO_ROWS``)."""
    if not channel_ids:
        return {}
    m = ChannelDailyMetric
    query = (
        select(m.channel_id, func.sum(m.revenue_usd), func.count(m.revenue_usd), func.count())
        .where(m.channel_id.in_(channel_ids), m.day >= since)
        .group_by(m.channel_id)
    )
    return {
        cid: Revenue(float(total) if known and total is not None else None, days - known)
        for cid, total, known, days in await session.execute(query)
    }


async def revenue_unknown_days(
    session: AsyncSession, channel_ids: list[uuid.UUID], since: date
) -> int:
    """Days since ``since`` on which some channel's revenue is unknown."""
    if not channel_ids:
        return 0
    m = ChannelDailyMetric
    query = select(func.count(func.distinct(m.day))).where(
        m.channel_id.in_(channel_ids), m.day >= since, m.revenue_usd.is_(None)
    )
    return int(await session.scalar(query) or 0)
