from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, or_, select, union
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
    day = _cost_day(session)
    lower, upper = _utc_bounds(start, end)
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
        out[as_date(key)] = float(total or 0)
    return out


def _cost_day(session: AsyncSession) -> ColumnElement[Any]:
    """A cost event's UTC day, computed in SQL for each dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", CostEvent.occurred_at))
    return func.date(CostEvent.occurred_at)


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC)."""
    lower = datetime.combine(start, time.min, UTC)
    return lower, datetime.combine(end + timedelta(days=1), time.min, UTC)


def as_date(value: object) -> date:
    """A date column's value (SQLite may hand back the ISO text of a computed date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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


# -- the analytics page's videos and the CSV export ------------------------------------------
def video_label(title: str | None, topic: str | None) -> str:
    return title or topic or "Untitled video"


@dataclass(frozen=True, slots=True)
class VideoRange:
    """One video's YouTube numbers and cost ledger over a range of days."""

    video_id: uuid.UUID
    channel_id: uuid.UUID
    title: str
    views: int
    watch_time_minutes: float
    revenue_usd: Decimal | None  # the known days' sum; None when no day's is known
    views_known: int  # views on the days whose revenue is known (what RPM divides by)
    unknown_days: int
    cost_usd: Decimal  # what the ledger charged in the range (UTC days)


async def video_ranges(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID], start: date, end: date
) -> list[VideoRange]:
    """Every video of ``channel_ids`` with a ``video_daily_metrics`` day or a charge in
    [start, end]: two grouped queries (metrics, costs), no list of ids sent back."""
    if not channel_ids:
        return []
    m = VideoDailyMetric
    metrics = (
        select(
            m.video_id,
            Video.channel_id,
            Video.title,
            Video.topic,
            func.sum(m.views),
            func.sum(m.watch_time_minutes),
            func.sum(m.revenue_usd),
            func.count(m.revenue_usd),
            func.count(),
            func.sum(case((m.revenue_usd.is_not(None), m.views), else_=0)),
        )
        .join(Video, Video.id == m.video_id)
        .where(m.channel_id.in_(channel_ids), m.day >= start, m.day <= end)
        .group_by(m.video_id, Video.channel_id, Video.title, Video.topic)
    )
    lower, upper = _utc_bounds(start, end)
    costs = (
        select(
            CostEvent.video_id,
            Video.channel_id,
            Video.title,
            Video.topic,
            func.sum(CostEvent.amount_usd),
        )
        .join(Video, Video.id == CostEvent.video_id)
        .where(
            CostEvent.channel_id.in_(channel_ids),
            CostEvent.occurred_at >= lower,
            CostEvent.occurred_at < upper,
        )
        .group_by(CostEvent.video_id, Video.channel_id, Video.title, Video.topic)
    )
    charged = {
        vid: (cid, video_label(title, topic), Decimal(str(total or 0)))
        for vid, cid, title, topic, total in await session.execute(costs)
        if vid is not None
    }
    out = []
    for vid, cid, title, topic, views, minutes, revenue, known, days, seen in await session.execute(
        metrics
    ):
        cost = charged.pop(vid, (cid, "", Decimal(0)))[2]
        out.append(
            VideoRange(
                video_id=vid,
                channel_id=cid,
                title=video_label(title, topic),
                views=int(views or 0),
                watch_time_minutes=float(minutes or 0),
                revenue_usd=Decimal(str(revenue)) if known else None,
                views_known=int(seen or 0),
                unknown_days=int(days) - int(known),
                cost_usd=cost,
            )
        )
    for vid, (cid, title, cost) in charged.items():  # charged in the range, no YouTube day
        out.append(VideoRange(vid, cid, title, 0, 0.0, Decimal(0), 0, 0, cost))
    return out


def video_export_query(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID], start: date, end: date
) -> Select[Any]:
    """One row per video and day with a YouTube day or a charge (the union of both): day,
    channel, video, YouTube id, title, topic, the metrics, the day's charge; ordered by
    channel (oldest first), video and day: one statement the export streams. A day with
    a charge but no YouTube row has NULL metrics."""
    m = VideoDailyMetric
    lower, upper = _utc_bounds(start, end)
    day = _cost_day(session)
    costs = (
        select(
            CostEvent.video_id.label("video_id"),
            day.label("day"),
            func.sum(CostEvent.amount_usd).label("cost"),
        )
        .where(
            CostEvent.channel_id.in_(channel_ids),
            CostEvent.video_id.is_not(None),
            CostEvent.occurred_at >= lower,
            CostEvent.occurred_at < upper,
        )
        .group_by(CostEvent.video_id, day)
        .subquery("costs")
    )
    keys = union(
        select(m.video_id.label("video_id"), m.day.label("day")).where(
            m.channel_id.in_(channel_ids), m.day >= start, m.day <= end
        ),
        select(costs.c.video_id, costs.c.day),
    ).subquery("keys")
    return (
        select(
            keys.c.day,
            Video.channel_id,
            Video.id,
            Video.youtube_video_id,
            Video.title,
            Video.topic,
            m.views,
            m.watch_time_minutes,
            m.average_view_duration_seconds,
            m.subscribers_gained,
            m.subscribers_lost,
            m.revenue_usd,
            m.ad_revenue_usd,
            m.cpm_usd,
            m.playback_cpm_usd,
            costs.c.cost,
        )
        .select_from(keys)
        .join(Video, Video.id == keys.c.video_id)
        .join(Channel, Channel.id == Video.channel_id)
        .outerjoin(m, and_(m.video_id == keys.c.video_id, m.day == keys.c.day))
        .outerjoin(costs, and_(costs.c.video_id == keys.c.video_id, costs.c.day == keys.c.day))
        .where(Video.channel_id.in_(channel_ids))
        .order_by(Channel.created_at, Channel.id, Video.created_at, Video.id, keys.c.day)
    )


def channel_export_query(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID], start: date, end: date
) -> Select[Any]:
    """One row per channel and day with a YouTube day or a charge: day, channel, name, the
    metrics, the day's charge; ordered by channel (oldest first) and day."""
    c = ChannelDailyMetric
    lower, upper = _utc_bounds(start, end)
    day = _cost_day(session)
    costs = (
        select(
            CostEvent.channel_id.label("channel_id"),
            day.label("day"),
            func.sum(CostEvent.amount_usd).label("cost"),
        )
        .where(
            CostEvent.channel_id.in_(channel_ids),
            CostEvent.occurred_at >= lower,
            CostEvent.occurred_at < upper,
        )
        .group_by(CostEvent.channel_id, day)
        .subquery("costs")
    )
    keys = union(
        select(c.channel_id.label("channel_id"), c.day.label("day")).where(
            c.channel_id.in_(channel_ids), c.day >= start, c.day <= end
        ),
        select(costs.c.channel_id, costs.c.day),
    ).subquery("keys")
    return (
        select(
            keys.c.day,
            Channel.id,
            Channel.name,
            c.views,
            c.watch_time_minutes,
            c.average_view_duration_seconds,
            c.subscribers_gained,
            c.subscribers_lost,
            c.revenue_usd,
            c.ad_revenue_usd,
            c.cpm_usd,
            c.playback_cpm_usd,
            costs.c.cost,
        )
        .select_from(keys)
        .join(Channel, Channel.id == keys.c.channel_id)
        .outerjoin(c, and_(c.channel_id == keys.c.channel_id, c.day == keys.c.day))
        .outerjoin(costs, and_(costs.c.channel_id == keys.c.channel_id, costs.c.day == keys.c.day))
        .order_by(Channel.created_at, Channel.id, keys.c.day)
    )
