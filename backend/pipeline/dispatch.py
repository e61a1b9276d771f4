"""Enqueue the next stage of a video after commit, and reconcile what fell through.

The reconciler is the pipeline's safety net: a video whose next job was lost (the
worker died between commit and enqueue, Redis restarted, the channel was paused and
resumed, a worker was killed mid-stage and its lease expired) is picked up again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import redis
import structlog
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.jobs.queues import enqueue, enqueue_after_commit
from backend.models import Channel, ChannelStatus, StageRun, StageStatus, Video, VideoStage
from backend.models import VideoStatus as S
from backend.pipeline.lease import is_held
from backend.pipeline.stages import PRODUCTION_STAGES, STAGE_QUEUE, job_id

log = structlog.get_logger(__name__)

RUN_STAGE = "backend.pipeline.tasks.run_stage"
STALE_START = timedelta(seconds=60)


async def stage_runs(session: AsyncSession, video_id: uuid.UUID) -> dict[VideoStage, StageRun]:
    rows = await session.scalars(select(StageRun).where(StageRun.video_id == video_id))
    return {run.stage: run for run in rows}


async def first_unfinished(
    session: AsyncSession, video_id: uuid.UUID
) -> tuple[VideoStage, int] | None:
    runs = await stage_runs(session, video_id)
    for stage in PRODUCTION_STAGES:
        run = runs.get(stage)
        if run is None or run.status not in (StageStatus.succeeded, StageStatus.skipped):
            return stage, run.attempts if run else 0
    return None


def dispatch_after_commit(
    session: AsyncSession,
    connection: redis.Redis,
    video_id: uuid.UUID,
    stage: VideoStage,
    attempt: int,
) -> None:
    enqueue_after_commit(
        session,
        connection,
        STAGE_QUEUE[stage],
        RUN_STAGE,
        str(video_id),
        stage.value,
        job_id=job_id(video_id, stage, attempt),
    )


async def dispatch_next(session: AsyncSession, connection: redis.Redis, video: Video) -> None:
    nxt = await first_unfinished(session, video.id)
    if nxt is not None:
        dispatch_after_commit(session, connection, video.id, *nxt)


async def on_video_queued(session: AsyncSession, video: Video) -> None:
    """Hook for the video service: a video became queued, start (or resume) it after commit."""
    connection = session.info.get("redis")
    if connection is not None:  # otherwise the reconciler picks it up
        await dispatch_next(session, connection, video)


def _job_alive(connection: redis.Redis, jid: str, video_id: uuid.UUID, stage: VideoStage) -> bool:
    try:
        job = Job.fetch(jid, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in ("queued", "scheduled", "deferred"):
        return True
    if status == "started":
        if is_held(connection, video_id, stage):
            return True
        started = job.started_at
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        if started is not None and utcnow() - started < STALE_START:
            return True  # just dequeued; the runner takes its lease in a moment
        job.delete()  # its worker died before taking the lease
    return False


async def reconcile(session: AsyncSession, connection: redis.Redis) -> list[str]:
    """Enqueue the first unfinished stage of every open video that has no live job."""
    query = (
        select(Video)
        .join(Channel, Channel.id == Video.channel_id)
        .where(
            Video.status.in_((S.queued, S.running)),
            Channel.status == ChannelStatus.active,
            Channel.deleted_at.is_(None),
        )
        .order_by(Video.created_at)
    )
    enqueued = []
    for video in await session.scalars(query):
        nxt = await first_unfinished(session, video.id)
        if nxt is None:
            continue
        stage, attempts = nxt
        if is_held(connection, video.id, stage):
            continue
        jid = job_id(video.id, stage, attempts)
        if _job_alive(connection, jid, video.id, stage):
            continue
        enqueue(connection, STAGE_QUEUE[stage], RUN_STAGE, str(video.id), stage.value, job_id=jid)
        enqueued.append(jid)
    if enqueued:
        log.info("pipeline.reconciled", jobs=enqueued)
    return enqueued
