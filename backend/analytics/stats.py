"""Fresh uploads: ``videos.list(part=statistics)`` every hour for their first hours.

YouTube Analytics lags a day or two; the Data API's public counters do not. For every
video that went public in the last ``analytics_stats_poll_hours`` (48), one snapshot per
UTC hour goes into ``video_stat_snapshots``: one call per 50 videos of a channel, 1 unit
each, counted in the shared ``quota_usage`` ledger before it is sent
(``publishing.quota.QuotaLedger``). The poll never spends the last
``analytics_stats_quota_reserve`` units of the day: they are the uploads'.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics import repository
from backend.analytics.metrics import ROWS_UPSERTED, STAT_POLLS_SKIPPED, STAT_SNAPSHOTS
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.publishing import clients, service
from backend.publishing.clock import SystemClock
from backend.publishing.errors import (
    NeedsReconnect,
    NotConnected,
    QuotaWait,
    RetriesExhausted,
    YouTubeRejected,
)
from backend.publishing.policy import CallPolicy
from backend.publishing.quota import QuotaLedger
from backend.settings import Settings

log = structlog.get_logger(__name__)

IDS_PER_CALL = 50  # videos.list takes at most 50 ids


@dataclass
class StatsPoll:
    videos: int = 0
    snapshots: int = 0
    calls: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # channels not polled, by reason

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        STAT_POLLS_SKIPPED.labels(reason=reason).inc()

    def as_dict(self) -> dict[str, Any]:
        return {
            "videos": self.videos,
            "snapshots": self.snapshots,
            "calls": self.calls,
            "skipped": dict(self.skipped),
        }


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


class _ReserveReached(Exception):
    pass


async def poll_fresh_statistics(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
) -> StatsPoll:
    now = now or utcnow()
    poll = StatsPoll()
    since = now - timedelta(hours=settings.analytics_stats_poll_hours)
    async with sessions() as session:
        videos = await repository.fresh_videos(session, since, now)
        if not videos:
            return poll
        client = await service.get_client(session, settings)
    poll.videos = len(videos)
    ledger = QuotaLedger(
        sessions,
        project_id=client.project_id,
        daily_units=settings.youtube_upload_quota,
        mode="raise",
    )
    by_channel: dict[uuid.UUID, list[repository.PublishedVideo]] = defaultdict(list)
    for video in videos:
        by_channel[video.channel_id].append(video)
    for channel_id, fresh in by_channel.items():
        try:
            await _poll_channel(sessions, settings, ledger, channel_id, fresh, now, poll)
        except _ReserveReached:
            poll.skip("quota_reserve")
            break  # the project's units: no other channel gets any either
        except QuotaWait:
            poll.skip("quota")
            break
    log.info("analytics.stats_poll", **poll.as_dict())
    return poll


async def _poll_channel(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    ledger: QuotaLedger,
    channel_id: uuid.UUID,
    videos: Sequence[repository.PublishedVideo],
    now: datetime,
    poll: StatsPoll,
) -> None:
    try:
        grant = await service.load_grant(sessions, settings, channel_id)
    except NeedsReconnect:
        return poll.skip("needs_reconnect")
    except NotConnected:
        return poll.skip("not_connected")

    async def keep_token(credentials: Any) -> None:
        await service.save_credentials(sessions, settings, channel_id, credentials)

    api = await asyncio.to_thread(clients.youtube, settings, grant.credentials)
    policy = CallPolicy(
        clock=SystemClock(),
        quota=ledger,
        credentials=grant.credentials,
        token_transport=clients.token_transport(settings),
        max_retries=settings.analytics_max_retries,
        backoff_seconds=settings.youtube_upload_backoff_seconds,
        max_backoff_seconds=settings.youtube_upload_max_backoff_seconds,
        on_token_refresh=keep_token,
    )
    by_youtube_id = {v.youtube_video_id: v for v in videos}
    ids = list(by_youtube_id)
    for offset in range(0, len(ids), IDS_PER_CALL):
        chunk = ids[offset : offset + IDS_PER_CALL]
        if await ledger.remaining() <= settings.analytics_stats_quota_reserve:
            raise _ReserveReached()
        await ledger.spend("videos.list")
        poll.calls += 1
        request = api.resource.videos().list(
            part="statistics", id=",".join(chunk), maxResults=IDS_PER_CALL
        )

        def call(request: Any = request) -> dict[str, Any]:
            return dict(request.execute(num_retries=0))

        try:
            answer = await policy.run(call, what="videos.list statistics")
        except NeedsReconnect as exc:
            await service.mark_needs_reconnect(sessions, channel_id, exc.reason)
            return poll.skip("needs_reconnect")
        except (YouTubeRejected, RetriesExhausted) as exc:
            log.warning(
                "analytics.stats_poll.failed", channel_id=str(channel_id), error=exc.message
            )
            return poll.skip("failed")
        rows = []
        for item in answer.get("items") or []:
            video = by_youtube_id.get(str(item.get("id")))
            stats = item.get("statistics") or {}
            if video is None or "viewCount" not in stats:
                continue
            rows.append(
                {
                    "video_id": video.id,
                    "hour": _hour(now),
                    "taken_at": now,
                    "hours_since_publish": round((now - video.public_at).total_seconds() / 3600, 3),
                    "views": int(stats["viewCount"]),
                    "likes": _count(stats.get("likeCount")),
                    "comments": _count(stats.get("commentCount")),
                }
            )
        async with unit_of_work(sessions) as session:
            written = await repository.upsert_snapshots(session, rows)
        ROWS_UPSERTED.labels(table="video_stat_snapshots").inc(written)
        STAT_SNAPSHOTS.inc(len(rows))
        poll.snapshots += len(rows)
    return None
