"""The YouTube Analytics sync: daily channel and per-video metrics into the database.

For each connected channel, one run:

1. loads the grant (``publishing.service.load_grant``; a grant that needs reconnecting is
   skipped, and one that YouTube refuses mid-run is marked ``needs_reconnect``);
2. picks the days: a channel never synced gets the backfill (``analytics_backfill_days``,
   90); afterwards a run starts ``analytics_refetch_days`` (3) before the last day stored,
   because Analytics keeps revising its last days, and ends today (Pacific time);
3. asks ``reports.query`` for the channel per day, with the monetary metrics when the
   grant has the ``yt-analytics-monetary.readonly`` scope; without it, or when YouTube
   answers 403 to them, revenue is unknown (NULL), never 0;
4. asks the same for our videos (those with a YouTube id): per video (``dimensions=day``,
   ``filters=video==ID``) or per day (``dimensions=video``, up to 200 ids a query),
   whichever takes fewer calls;
5. upserts the rows (``channel_daily_metrics``, ``video_daily_metrics``): a re-run with
   the same answers changes nothing.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics import repository
from backend.analytics.errors import AnalyticsQuotaExceeded, AnalyticsUnavailable
from backend.analytics.metrics import CHANNELS_SYNCED, ROWS_UPSERTED, SYNC_SECONDS
from backend.analytics.reports import (
    MAX_VIDEOS_PER_QUERY,
    AnalyticsApi,
    DayMetrics,
    has_monetary_scope,
    parse_report,
)
from backend.db.base import utcnow
from backend.db.session import commit
from backend.publishing import service
from backend.publishing.errors import NeedsReconnect, NotConnected, YouTubeRejected
from backend.publishing.quota import pacific_day
from backend.settings import Settings

log = structlog.get_logger(__name__)

Outcome = Literal["synced", "needs_reconnect", "not_connected", "quota", "failed"]
NO_SCOPE = "the grant lacks the yt-analytics-monetary.readonly scope"


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def sync_window(
    today: date,
    latest: date | None,
    *,
    backfill_days: int,
    refetch_days: int,
    days: int | None = None,
) -> Window:
    """The days one run fetches (see the module docstring); ``days`` forces the last N."""
    if days is not None:
        return Window(today - timedelta(days=days - 1), today)
    floor = today - timedelta(days=backfill_days - 1)
    if latest is None:
        return Window(floor, today)
    start = min(latest, today) - timedelta(days=refetch_days - 1)
    return Window(max(start, floor), today)


@dataclass
class ChannelSync:
    """What one channel's run did."""

    channel_id: uuid.UUID
    outcome: Outcome = "synced"
    window: Window | None = None
    revenue_known: bool = False
    revenue_note: str | None = None  # why revenue is unknown
    channel_days: int = 0  # rows YouTube answered
    video_days: int = 0
    videos: int = 0
    rows_written: int = 0  # rows inserted or changed
    calls: int = 0
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel_id": str(self.channel_id),
            "outcome": self.outcome,
            "start": self.window.start.isoformat() if self.window else None,
            "end": self.window.end.isoformat() if self.window else None,
            "revenue_known": self.revenue_known,
            "revenue_note": self.revenue_note,
            "channel_days": self.channel_days,
            "video_days": self.video_days,
            "videos": self.videos,
            "rows_written": self.rows_written,
            "calls": self.calls,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


@dataclass
class SyncReport:
    channels: list[ChannelSync] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.channels if c.outcome == outcome)

    @property
    def rows_written(self) -> int:
        return sum(c.rows_written for c in self.channels)

    def as_dict(self) -> dict[str, Any]:
        return {
            "channels": len(self.channels),
            "synced": self.count("synced"),
            "needs_reconnect": self.count("needs_reconnect"),
            "not_connected": self.count("not_connected"),
            "quota": self.count("quota"),
            "failed": self.count("failed"),
            "rows_written": self.rows_written,
            "seconds": round(self.seconds, 3),
        }


class _Revenue:
    """Whether the monetary metrics are asked for; once refused, not again this run."""

    def __init__(self, grant: service.ChannelGrant) -> None:
        self.asked = has_monetary_scope(grant)
        self.note: str | None = None if self.asked else NO_SCOPE

    def refused(self, exc: YouTubeRejected) -> None:
        self.asked = False
        self.note = f"YouTube refused the monetary metrics (403 {exc.reason})"


async def _query(api: AnalyticsApi, revenue: _Revenue, **kwargs: Any) -> dict[str, Any]:
    """A report, asked again without the monetary metrics if YouTube refuses them (403)."""
    if revenue.asked:
        try:
            return await api.query(monetary=True, **kwargs)
        except YouTubeRejected as exc:
            if exc.status != 403:
                raise
            log.info(
                "analytics.monetary_refused",
                channel_id=str(api.grant.channel_id),
                reason=exc.reason,
            )
            revenue.refused(exc)
    return await api.query(monetary=False, **kwargs)


async def sync_channel(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: uuid.UUID,
    *,
    days: int | None = None,
    today: date | None = None,
) -> ChannelSync:
    """Sync one channel. Never raises for YouTube's answers: the outcome says what happened."""
    started = time.perf_counter()
    result = ChannelSync(channel_id)
    try:
        grant = await service.load_grant(sessions, settings, channel_id)
    except NeedsReconnect as exc:  # marked already (before, or by the refresh just now)
        result.outcome, result.error = "needs_reconnect", exc.reason
    except NotConnected as exc:
        result.outcome, result.error = "not_connected", exc.message
    else:
        try:
            await _sync(sessions, settings, grant, result, days, today or pacific_day(utcnow()))
        except NeedsReconnect as exc:
            await service.mark_needs_reconnect(sessions, channel_id, exc.reason)
            result.outcome, result.error = "needs_reconnect", exc.reason
        except AnalyticsQuotaExceeded as exc:
            result.outcome, result.error = "quota", exc.message
        except (YouTubeRejected, AnalyticsUnavailable) as exc:
            result.outcome, result.error = "failed", exc.message
        except Exception as exc:  # a bug or the database: this channel fails, the run goes on
            log.exception("analytics.sync.crashed", channel_id=str(channel_id))
            result.outcome, result.error = "failed", f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    CHANNELS_SYNCED.labels(outcome=result.outcome).inc()
    SYNC_SECONDS.observe(result.seconds)
    log.info("analytics.sync.channel", **result.as_dict())
    return result


async def backfill(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: uuid.UUID,
    *,
    today: date | None = None,
) -> ChannelSync:
    """The first sync of a newly connected channel: the last ``analytics_backfill_days``."""
    return await sync_channel(
        sessions, settings, channel_id, days=settings.analytics_backfill_days, today=today
    )


async def _sync(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    grant: service.ChannelGrant,
    result: ChannelSync,
    days: int | None,
    today: date,
) -> None:
    channel_id = grant.channel_id
    async with sessions() as session:
        latest = await repository.latest_channel_day(session, channel_id)
        videos = await repository.published_videos(session, channel_id)
    window = sync_window(
        today,
        latest,
        backfill_days=settings.analytics_backfill_days,
        refetch_days=settings.analytics_refetch_days,
        days=days,
    )
    result.window = window
    token_before = grant.credentials.token
    api = await AnalyticsApi.build(sessions, settings, grant)
    revenue = _Revenue(grant)
    # One connection writes this channel's rows, a commit after each answer.
    async with sessions() as writer:
        try:
            answer = await _query(
                api,
                revenue,
                start=window.start,
                end=window.end,
                dimensions="day",
                report="channel",
            )
            channel_rows = parse_report(answer)
            result.channel_days = len(channel_rows)
            written = await repository.upsert_channel_days(writer, channel_id, channel_rows)
            await commit(writer)
            ROWS_UPSERTED.labels(table="channel_daily_metrics").inc(written)
            result.rows_written += written
            result.videos = await _sync_videos(writer, api, revenue, result, window, videos)
        finally:
            result.calls = api.calls
            result.revenue_known, result.revenue_note = revenue.asked, revenue.note
            if grant.credentials.token != token_before:  # google-auth refreshed it mid-run
                await service.save_credentials(sessions, settings, channel_id, grant.credentials)


def _first_day(video: repository.PublishedVideo) -> date:
    return pacific_day(video.public_at)


async def _sync_videos(
    writer: AsyncSession,
    api: AnalyticsApi,
    revenue: _Revenue,
    result: ChannelSync,
    window: Window,
    videos: Sequence[repository.PublishedVideo],
) -> int:
    """Our videos' days, by whichever plan takes fewer calls. Returns the videos covered."""
    live = [v for v in videos if _first_day(v) <= window.end]
    if not live:
        return 0
    ours = {v.youtube_video_id: v.id for v in live}
    per_day_calls = sum(
        math.ceil(sum(1 for v in live if _first_day(v) <= day) / MAX_VIDEOS_PER_QUERY)
        for day in window.each()
    )

    async def store(rows: list[DayMetrics]) -> None:
        pairs = [(ours[r.video], r) for r in rows if r.video in ours]
        result.video_days += len(pairs)
        if not pairs:
            return
        written = await repository.upsert_video_days(writer, result.channel_id, pairs)
        await commit(writer)
        ROWS_UPSERTED.labels(table="video_daily_metrics").inc(written)
        result.rows_written += written

    if len(live) <= per_day_calls:  # one call per video, all its days
        for video in live:
            start = max(window.start, _first_day(video))
            answer = await _query(
                api,
                revenue,
                start=start,
                end=window.end,
                dimensions="day",
                videos=[video.youtube_video_id],
                report="video_days",
            )
            rows = parse_report(answer)
            await store([_with_video(r, video.youtube_video_id) for r in rows])
        return len(live)
    for day in window.each():  # one call per day (and per 200 videos)
        ids = [v.youtube_video_id for v in live if _first_day(v) <= day]
        for offset in range(0, len(ids), MAX_VIDEOS_PER_QUERY):
            chunk = ids[offset : offset + MAX_VIDEOS_PER_QUERY]
            answer = await _query(
                api,
                revenue,
                start=day,
                end=day,
                dimensions="video",
                videos=chunk,
                report="videos_of_day",
            )
            await store(parse_report(answer, day=day))
    return len(live)


def _with_video(row: DayMetrics, video: str) -> DayMetrics:
    """A per-video report by day has no video column: the filter says which video it is."""
    return DayMetrics(
        day=row.day,
        video=video,
        views=row.views,
        watch_time_minutes=row.watch_time_minutes,
        average_view_duration_seconds=row.average_view_duration_seconds,
        subscribers_gained=row.subscribers_gained,
        subscribers_lost=row.subscribers_lost,
        revenue_usd=row.revenue_usd,
        ad_revenue_usd=row.ad_revenue_usd,
        cpm_usd=row.cpm_usd,
        playback_cpm_usd=row.playback_cpm_usd,
    )


async def channels_to_sync(sessions: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    async with sessions() as session:
        return await repository.synced_channel_ids(session)


async def sync_all(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    channel_ids: Sequence[uuid.UUID] | None = None,
    days: int | None = None,
    today: date | None = None,
    on_channel: Callable[[ChannelSync], None] | None = None,
) -> SyncReport:
    """Sync the given channels (default: every channel with a grant), a few at a time.

    After a quota answer no further channel is started (the quota is the project's).
    Raises :class:`~backend.publishing.errors.NoOAuthClient` when no OAuth client is set.
    """
    started = time.perf_counter()
    async with sessions() as session:
        await service.get_client(session, settings)  # NoOAuthClient: say so once, up front
    ids = list(channel_ids) if channel_ids is not None else await channels_to_sync(sessions)
    report = SyncReport()
    gate = asyncio.Semaphore(settings.analytics_sync_concurrency)
    quota_hit = asyncio.Event()

    async def one(channel_id: uuid.UUID) -> None:
        async with gate:
            if quota_hit.is_set():
                outcome = ChannelSync(channel_id, "quota", error="quota exhausted earlier")
            else:
                outcome = await sync_channel(sessions, settings, channel_id, days=days, today=today)
            if outcome.outcome == "quota":
                quota_hit.set()
            report.channels.append(outcome)
            if on_channel is not None:
                on_channel(outcome)

    await asyncio.gather(*(one(c) for c in ids))
    report.seconds = time.perf_counter() - started
    log.info("analytics.sync", **report.as_dict())
    return report
