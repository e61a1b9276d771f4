from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.reports import DayMetrics
from backend.db.base import Base, utcnow
from backend.models import (
    Channel,
    ChannelDailyMetric,
    CostEvent,
    Video,
    VideoDailyMetric,
    VideoStatSnapshot,
    YouTubeCredential,
)


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


# -- the sync's writes -----------------------------------------------------------------------
METRIC_COLUMNS = (
    "views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "subscribers_gained",
    "subscribers_lost",
    "revenue_usd",
    "ad_revenue_usd",
    "cpm_usd",
    "playback_cpm_usd",
)
# An unknown value (NULL) in a new answer keeps a value learnt before (a grant that lost the
# monetary scope does not erase the revenue it reported).
KEEP_KNOWN = frozenset({"revenue_usd", "ad_revenue_usd", "cpm_usd", "playback_cpm_usd"})


def _metric_values(metrics: DayMetrics) -> dict[str, Any]:
    return {name: getattr(metrics, name) for name in METRIC_COLUMNS}


async def _upsert(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert or update on ``keys``; a row is only rewritten when a value differs.

    Returns the rows inserted or changed: a re-run with the same answers returns 0 and
    touches nothing (not even ``updated_at``). ``ON CONFLICT ... DO UPDATE ... WHERE``
    (PostgreSQL and SQLite) with ``RETURNING``: the rows returned are the rows written. One
    statement, compiled once, executed for all rows (SQLAlchemy batches them into
    multi-row VALUES, "insertmanyvalues").
    """
    if not rows:
        return 0
    table = cast(Table, model.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    excluded = statement.excluded
    updated = [c for c in rows[0] if c not in {"id", "created_at", "updated_at", *keys}]
    values: dict[str, Any] = {
        c: func.coalesce(excluded[c], table.c[c]) if c in KEEP_KNOWN else excluded[c]
        for c in updated
    }
    changed = or_(*(table.c[c].is_distinct_from(values[c]) for c in updated))
    upsert = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={**values, "updated_at": excluded["updated_at"]},
        where=changed,
    ).returning(table.c.id)
    result = await session.execute(upsert, list(rows))
    return len(result.all())


async def upsert_channel_days(
    session: AsyncSession, channel_id: uuid.UUID, days: Sequence[DayMetrics]
) -> int:
    now = utcnow()
    rows = {
        d.day: {
            "id": uuid.uuid4(),
            "channel_id": channel_id,
            "day": d.day,
            **_metric_values(d),
            "created_at": now,
            "updated_at": now,
        }
        for d in days
    }
    return await _upsert(session, ChannelDailyMetric, list(rows.values()), ("channel_id", "day"))


async def upsert_video_days(
    session: AsyncSession, channel_id: uuid.UUID, days: Sequence[tuple[uuid.UUID, DayMetrics]]
) -> int:
    now = utcnow()
    rows = {
        (video_id, d.day): {
            "id": uuid.uuid4(),
            "video_id": video_id,
            "channel_id": channel_id,
            "day": d.day,
            **_metric_values(d),
            "created_at": now,
            "updated_at": now,
        }
        for video_id, d in days
    }
    return await _upsert(session, VideoDailyMetric, list(rows.values()), ("video_id", "day"))


async def upsert_snapshots(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Statistics snapshots, one per video and UTC hour (a second poll in the hour updates)."""
    now = utcnow()
    full = {
        (r["video_id"], r["hour"]): {"id": uuid.uuid4(), **r, "created_at": now, "updated_at": now}
        for r in rows
    }
    if not full:
        return 0
    return await _upsert(session, VideoStatSnapshot, list(full.values()), ("video_id", "hour"))


# -- the sync's reads ------------------------------------------------------------------------
async def synced_channel_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Channels with a YouTube grant (connected or needing a reconnect), not deleted."""
    query = (
        select(YouTubeCredential.channel_id)
        .join(Channel, Channel.id == YouTubeCredential.channel_id)
        .where(Channel.deleted_at.is_(None))
        .order_by(Channel.created_at, Channel.id)
    )
    return list(await session.scalars(query))


async def latest_channel_day(session: AsyncSession, channel_id: uuid.UUID) -> date | None:
    query = select(func.max(ChannelDailyMetric.day)).where(
        ChannelDailyMetric.channel_id == channel_id
    )
    value = await session.scalar(query)
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class PublishedVideo:
    id: uuid.UUID
    channel_id: uuid.UUID
    youtube_video_id: str
    public_at: datetime  # when it went (or goes) public


async def published_videos(session: AsyncSession, channel_id: uuid.UUID) -> list[PublishedVideo]:
    """Our videos on YouTube: an id there, and published or scheduled."""
    query = select(Video.id, Video.youtube_video_id, Video.published_at, Video.publish_at).where(
        Video.channel_id == channel_id,
        Video.youtube_video_id.is_not(None),
        or_(Video.published_at.is_not(None), Video.publish_at.is_not(None)),
    )
    return [
        PublishedVideo(vid, channel_id, str(yt), at)
        for vid, yt, published, scheduled in await session.execute(query)
        if (at := published or scheduled) is not None
    ]


async def fresh_videos(
    session: AsyncSession, since: datetime, until: datetime
) -> list[PublishedVideo]:
    """Videos that went public in [since, until], on channels not deleted."""
    query = (
        select(Video.id, Video.channel_id, Video.youtube_video_id, Video.published_at)
        .join(Channel, Channel.id == Video.channel_id)
        .where(
            Channel.deleted_at.is_(None),
            Video.youtube_video_id.is_not(None),
            Video.published_at >= since,
            Video.published_at <= until,
        )
        .order_by(Video.channel_id, Video.published_at)
    )
    return [
        PublishedVideo(vid, cid, str(yt), published)
        for vid, cid, yt, published in await session.execute(query)
        if published is not None
    ]


# -- profit per video ------------------------------------------------------------------------
async def owned_video(
    session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID
) -> Video | None:
    query = (
        select(Video)
        .join(Channel, Channel.id == Video.channel_id)
        .where(Video.id == video_id, Channel.owner_id == owner_id, Channel.deleted_at.is_(None))
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class VideoTotals:
    views: int
    watch_time_minutes: float
    revenue_usd: Decimal | None  # the known days' sum; None when no day is known
    known_days: int
    unknown_days: int
    last_day: date | None


async def video_totals(
    session: AsyncSession, video_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, VideoTotals]:
    """YouTube Analytics to date per video (the days with a ``video_daily_metrics`` row)."""
    m = VideoDailyMetric
    query = (
        select(
            m.video_id,
            func.sum(m.views),
            func.sum(m.watch_time_minutes),
            func.sum(m.revenue_usd),
            func.count(m.revenue_usd),
            func.count(),
            func.max(m.day),
        )
        .where(m.video_id.in_(video_ids))
        .group_by(m.video_id)
    )
    out = {}
    for vid, views, minutes, revenue, known, days, last in await session.execute(query):
        out[vid] = VideoTotals(
            views=int(views or 0),
            watch_time_minutes=float(minutes or 0),
            revenue_usd=Decimal(str(revenue)) if known else None,
            known_days=int(known),
            unknown_days=int(days) - int(known),
            last_day=last if last is None or isinstance(last, date) else date.fromisoformat(last),
        )
    return out


async def video_costs(
    session: AsyncSession, video_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Each video's cost ledger, all time."""
    query = (
        select(CostEvent.video_id, func.sum(CostEvent.amount_usd))
        .where(CostEvent.video_id.in_(video_ids))
        .group_by(CostEvent.video_id)
    )
    return {vid: Decimal(str(total or 0)) for vid, total in await session.execute(query) if vid}


async def video_days(session: AsyncSession, video_id: uuid.UUID) -> list[VideoDailyMetric]:
    query = (
        select(VideoDailyMetric)
        .where(VideoDailyMetric.video_id == video_id)
        .order_by(VideoDailyMetric.day)
    )
    return list(await session.scalars(query))


async def latest_snapshot(session: AsyncSession, video_id: uuid.UUID) -> VideoStatSnapshot | None:
    query = (
        select(VideoStatSnapshot)
        .where(VideoStatSnapshot.video_id == video_id)
        .order_by(VideoStatSnapshot.taken_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
