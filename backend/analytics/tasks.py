"""RQ jobs of the analytics sync (module-level, importable by path, taking ids as strings).

* ``sync_daily`` (recurring, ``analytics_sync_interval_seconds``): one ``sync_channel`` job
  per channel with a grant, each under its own time limit.
* ``backfill_channel(channel_id)``: the first 90 days of a newly connected channel; queue it
  after the connection commits with :func:`enqueue_backfill`.
* ``poll_fresh_statistics`` (recurring, ``analytics_stats_poll_interval_seconds``).
"""

from __future__ import annotations

import uuid
from typing import Any

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import stats, sync
from backend.errors import AppError
from backend.jobs.queues import QueueName, enqueue, enqueue_after_commit
from backend.jobs.runtime import job_context, run_job
from backend.publishing import service
from backend.settings import Settings

log = structlog.get_logger(__name__)

SYNC_CHANNEL = "backend.analytics.tasks.sync_channel"
BACKFILL_CHANNEL = "backend.analytics.tasks.backfill_channel"


def sync_daily() -> dict[str, Any]:
    """Queue one sync job per channel with a YouTube grant."""
    return run_job(_sync_daily())


async def _sync_daily() -> dict[str, Any]:
    async with job_context() as ctx:
        try:
            async with ctx.sessions() as session:
                await service.get_client(session, ctx.settings)
        except AppError as exc:  # no OAuth client: nothing is connected
            log.info("analytics.sync.skipped", reason=exc.message)
            return {"queued": 0, "skipped": exc.code}
        channel_ids = await sync.channels_to_sync(ctx.sessions)
        for channel_id in channel_ids:
            enqueue(
                ctx.redis,
                QueueName.publishing,
                SYNC_CHANNEL,
                str(channel_id),
                job_id=f"analytics-sync-{channel_id}",
                job_timeout=ctx.settings.analytics_job_timeout_seconds,
            )
    return {"queued": len(channel_ids)}


def sync_channel(channel_id: str, days: int | None = None) -> dict[str, Any]:
    """One channel's sync: the days since the last run (and the last 3 again), or ``days``."""
    return run_job(_sync_channel(uuid.UUID(channel_id), days, backfill=False))


def backfill_channel(channel_id: str) -> dict[str, Any]:
    """A newly connected channel's first sync: the last ``analytics_backfill_days`` days."""
    return run_job(_sync_channel(uuid.UUID(channel_id), None, backfill=True))


async def _sync_channel(
    channel_id: uuid.UUID, days: int | None, *, backfill: bool
) -> dict[str, Any]:
    async with job_context() as ctx:
        if backfill:
            result = await sync.backfill(ctx.sessions, ctx.settings, channel_id)
        else:
            result = await sync.sync_channel(ctx.sessions, ctx.settings, channel_id, days=days)
    return result.as_dict()


def poll_fresh_statistics() -> dict[str, Any]:
    """Hourly statistics of the videos published in the last 48 hours."""
    return run_job(_poll())


async def _poll() -> dict[str, Any]:
    async with job_context() as ctx:
        try:
            poll = await stats.poll_fresh_statistics(ctx.sessions, ctx.settings)
        except AppError as exc:
            log.info("analytics.stats_poll.skipped", reason=exc.message)
            return {"skipped": exc.code}
    return poll.as_dict()


def enqueue_backfill(
    session: AsyncSession, connection: redis.Redis, settings: Settings, channel_id: uuid.UUID
) -> None:
    """Queue the channel's 90-day backfill once ``session`` commits (call it on connect)."""
    enqueue_after_commit(
        session,
        connection,
        QueueName.publishing,
        BACKFILL_CHANNEL,
        str(channel_id),
        job_id=f"analytics-backfill-{channel_id}",
        job_timeout=settings.analytics_job_timeout_seconds,
    )
