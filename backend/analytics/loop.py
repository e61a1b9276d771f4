"""The money loop's reads: what the owner's own YouTube numbers say about money and timing.

Three questions, each one or two queries over the tables the analytics sync writes
(``channel_daily_metrics``, ``video_daily_metrics``, ``video_stat_snapshots``):

- :func:`channel_revenue`: per channel of an owner, the views and revenue of the days in a
  window whose revenue is known (NULL revenue is unknown, not zero: those days are left out
  of both sums, so the measured RPM ``1000 * revenue / views`` is not diluted by them). The
  niche score's measured RPM (``backend/niches/monetization.py``).
- :func:`video_revenues`: per published video of a channel, the revenue of its first
  ``days`` days (UTC date of publishing + ``days``, exclusive). A day of unknown revenue in
  that window counts at the RPM of the video's known days (its revenue is
  ``known revenue * all views / views of the known days``); a video without a known day is
  left out. Only videos whose window the sync has covered (the channel's latest synced day
  is at least the window's last day), the newest ``limit``. Topic choice
  (``backend/agents/trend_prophet.py``).
- :func:`early_views`: per published video of a channel whose first ``hours`` hours are
  over, its views at ``hours`` hours: the latest hourly statistics snapshot taken at most
  ``hours`` after publishing, when one was taken at least ``hours - SNAPSHOT_SLACK_HOURS``
  after; else, from the Pacific-day analytics rows, ``v(d0) + v(d0+1) + h0/24 * v(d0+2)``
  (``d0`` the Pacific day it went public, ``h0`` the hours of ``d0`` already gone then: the
  48 hours cover the rest of ``d0``, all of ``d0+1`` and the first ``h0`` hours of
  ``d0+2``), when the channel's analytics reach ``d0+2``. Publish hours
  (``backend/agents/revenue_optimizer.py``).

Nothing here imports another domain's rules: the callers turn these numbers into decisions.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import (
    Channel,
    ChannelDailyMetric,
    Video,
    VideoDailyMetric,
    VideoStatSnapshot,
)

PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube Analytics days are Pacific days
SNAPSHOT_SLACK_HOURS = 8.0  # a snapshot this close to the mark stands for it
RECENT_VIDEOS = 200  # the newest videos a channel's learning reads


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class ChannelRevenue:
    channel_id: uuid.UUID
    niche: str
    views: int  # views of the days with known revenue
    revenue_usd: float  # their revenue
    days: int  # days with known revenue


async def channel_revenue(
    session: AsyncSession, owner_id: uuid.UUID, since: date, until: date
) -> list[ChannelRevenue]:
    """Each of the owner's channels (not deleted) with a day of known revenue in
    ``[since, until]``: the views and revenue of those days."""
    m = ChannelDailyMetric
    query = (
        select(Channel.id, Channel.niche, func.sum(m.views), func.sum(m.revenue_usd), func.count())
        .join(m, m.channel_id == Channel.id)
        .where(
            Channel.owner_id == owner_id,
            Channel.deleted_at.is_(None),
            m.day >= since,
            m.day <= until,
            m.revenue_usd.is_not(None),
        )
        .group_by(Channel.id, Channel.niche)
        .order_by(Channel.id)
    )
    return [
        ChannelRevenue(cid, niche, int(views or 0), float(revenue or 0), int(days))
        for cid, niche, views, revenue, days in await session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class VideoRevenue:
    video_id: uuid.UUID
    topic: str
    published_at: datetime
    views: int  # in the window
    revenue_usd: float  # in the window (unknown days at the known days' RPM)


async def _last_video_day(session: AsyncSession, channel_id: uuid.UUID) -> date | None:
    value = await session.scalar(
        select(func.max(VideoDailyMetric.day)).where(VideoDailyMetric.channel_id == channel_id)
    )
    return None if value is None else _day(value)


async def video_revenues(
    session: AsyncSession,
    channel_id: uuid.UUID,
    days: int,
    now: datetime,
    limit: int = RECENT_VIDEOS,
) -> list[VideoRevenue]:
    """The channel's published videos with a topic and a known revenue over their first
    ``days`` days (see the module docstring), newest first."""
    last = await _last_video_day(session, channel_id)
    if last is None:
        return []
    # the window [published, published + days) is over and synced: published + days - 1 <= last
    latest_start = datetime.combine(last - timedelta(days=days - 1), datetime.max.time(), UTC)
    newest = min(now - timedelta(days=days), latest_start)
    videos = (
        select(Video.id, Video.topic, Video.published_at)
        .where(
            Video.channel_id == channel_id,
            Video.topic.is_not(None),
            Video.published_at.is_not(None),
            Video.published_at <= newest,
        )
        .order_by(Video.published_at.desc(), Video.id)
        .limit(limit)
        .subquery()
    )
    m = VideoDailyMetric
    if session.get_bind().dialect.name == "postgresql":
        first = func.date(func.timezone("UTC", videos.c.published_at))
        window_end = first + literal_column(str(int(days)))
    else:  # SQLite keeps UTC datetimes as naive ISO text
        window_end = func.date(videos.c.published_at, f"+{int(days)} days")
    views_known = case((m.revenue_usd.is_not(None), m.views), else_=0)
    query = (
        select(
            videos.c.id,
            videos.c.topic,
            videos.c.published_at,
            func.sum(m.views),
            func.sum(m.revenue_usd),
            func.sum(views_known),
            func.count(m.revenue_usd),
        )
        .join(m, m.video_id == videos.c.id)
        .where(m.day < window_end)
        .group_by(videos.c.id, videos.c.topic, videos.c.published_at)
    )
    out = []
    for vid, topic, published, views, revenue, known_views, known_days in await session.execute(
        query
    ):
        if not known_days:
            continue
        views, known_views = int(views or 0), int(known_views or 0)
        revenue_known = float(revenue or Decimal(0))
        if known_views > 0:
            estimate = revenue_known * views / known_views
        elif views == 0:
            estimate = revenue_known
        else:
            continue  # every view fell on a day of unknown revenue
        published = published if published.tzinfo else published.replace(tzinfo=UTC)
        out.append(VideoRevenue(vid, str(topic), published, views, round(estimate, 6)))
    out.sort(key=lambda v: (v.published_at, str(v.video_id)), reverse=True)
    return out


@dataclass(frozen=True, slots=True)
class EarlyViews:
    video_id: uuid.UUID
    published_at: datetime
    views: float  # at ``hours`` hours after going public
    source: str  # "snapshots" | "daily"


def _pacific_window(published_at: datetime) -> tuple[date, float]:
    local = published_at.astimezone(PACIFIC)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date(), (local - start).total_seconds() / 3600.0


async def early_views(
    session: AsyncSession,
    channel_id: uuid.UUID,
    now: datetime,
    hours: float = 48.0,
    limit: int = RECENT_VIDEOS,
) -> list[EarlyViews]:
    """The views at ``hours`` hours of the channel's newest ``limit`` public videos whose
    first ``hours`` are over (see the module docstring), newest first."""
    rows = await session.execute(
        select(Video.id, Video.published_at)
        .where(
            Video.channel_id == channel_id,
            Video.published_at.is_not(None),
            Video.published_at <= now - timedelta(hours=hours),
        )
        .order_by(Video.published_at.desc(), Video.id)
        .limit(limit)
    )
    published: dict[uuid.UUID, datetime] = {vid: at for vid, at in rows if at is not None}
    if not published:
        return []
    s = VideoStatSnapshot
    snapshots = await session.execute(
        select(s.video_id, func.max(s.views), func.max(s.hours_since_publish))
        .where(s.video_id.in_(list(published)), s.hours_since_publish <= hours)
        .group_by(s.video_id)
    )
    found: dict[uuid.UUID, EarlyViews] = {}
    for vid, views, reached in snapshots:
        if reached is not None and float(reached) >= hours - SNAPSHOT_SLACK_HOURS:
            found[vid] = EarlyViews(vid, published[vid], float(views or 0), "snapshots")
    rest = {vid: _pacific_window(at) for vid, at in published.items() if vid not in found}
    last = await _last_video_day(session, channel_id) if rest else None
    # the Pacific days the window touches: d0 .. d0 + reach (the last one in part)
    reach = {vid: math.ceil((h0 + hours) / 24.0) - 1 for vid, (_d0, h0) in rest.items()}
    covered = {
        vid: (d0, h0)
        for vid, (d0, h0) in rest.items()
        if last is not None and last >= d0 + timedelta(days=reach[vid])
    }
    if covered:
        m = VideoDailyMetric
        keys = [
            (vid, d0 + timedelta(days=k))
            for vid, (d0, _h) in covered.items()
            for k in range(reach[vid] + 1)
        ]
        by_day: dict[tuple[uuid.UUID, date], int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            result = await session.execute(
                select(m.video_id, m.day, m.views).where(tuple_(m.video_id, m.day).in_(chunk))
            )
            by_day |= {(vid, _day(day)): int(views or 0) for vid, day, views in result}
        for vid, (d0, h0) in covered.items():
            # d0 counts whole (no views before publishing), then each later day its share
            # of the hours left: all of d0+1, h0/24 of d0+2 for a 48-hour window
            total = float(by_day.get((vid, d0), 0))
            left = hours - (24.0 - h0)
            for k in range(1, reach[vid] + 1):
                total += min(max(left / 24.0, 0.0), 1.0) * by_day.get((vid, d0 + timedelta(k)), 0)
                left -= 24.0
            found[vid] = EarlyViews(vid, published[vid], round(total, 3), "daily")
    return sorted(found.values(), key=lambda e: (e.published_at, str(e.video_id)), reverse=True)
