"""Enqueue the next stage of a video after commit, and reconcile what fell through.

The reconciler is the pipeline's safety net: a video whose next job was lost (the
worker died between commit and enqueue, Redis restarted, the channel was paused and
resumed, a worker was killed mid-stage and its lease expired) is picked up again, but
never past ``YTE_STAGE_MAX_ATTEMPTS`` tries of one stage: then the video fails.

Tries of the current round are counted in the stage run's ``tries`` column: one per
runner start (so a killed worker's try counts) and per transient retry. A round ends when
the stage succeeds, when the quality gate sends the script back, or when the owner queues
the video again.

Videos in ``publishing`` are reconciled the same way (their upload job is enqueued again
when it was lost or its worker died, never before the run's ``resume_at``: the Pacific
quota reset, or the backoff after a try that failed), and ``scheduled`` videos whose
publish time has come become ``published`` (YouTube made them public by itself).

The videos service reaches the pipeline through a dispatcher passed to it (the app builds
one :class:`PipelineDispatcher` with its Redis connection): no module-level hook list, and
no connection riding along on the session.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
import structlog
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.jobs.queues import enqueue_after_commit
from backend.models import Channel, StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.pipeline import repository
from backend.pipeline.lease import is_held
from backend.pipeline.limits import job_timeout, stage_timeout, target_minutes
from backend.pipeline.outcome import fail_upload, fail_video
from backend.pipeline.stages import STAGE_QUEUE, job_id
from backend.settings import Settings, get_settings
from backend.videos import state

log = structlog.get_logger(__name__)

RUN_STAGE = "backend.pipeline.tasks.run_stage"
RUN_UPLOAD = "backend.pipeline.tasks.run_upload"
STALE_START = timedelta(seconds=60)


def timeout_for(settings: Settings, channel: Channel, stage: VideoStage) -> float:
    return stage_timeout(
        settings, stage, target_minutes(channel.format.value, channel.style_settings)
    )


def dispatch_after_commit(
    session: AsyncSession,
    connection: redis.Redis,
    video_id: uuid.UUID,
    stage: VideoStage,
    attempt: int,
    timeout_s: float,
) -> None:
    """Enqueue ``stage`` after commit, with an RQ limit a little above its own timeout."""
    enqueue_after_commit(
        session,
        connection,
        STAGE_QUEUE[stage],
        *(
            (RUN_UPLOAD, str(video_id))
            if stage == VideoStage.upload
            else (RUN_STAGE, str(video_id), stage.value)
        ),
        job_id=job_id(video_id, stage, attempt),
        job_timeout=job_timeout(timeout_s),
    )


async def dispatch_next(session: AsyncSession, connection: redis.Redis, video: Video) -> None:
    nxt = await repository.first_unfinished(session, video.id)
    channel = await session.get(Channel, video.channel_id)
    if nxt is not None and channel is not None:
        stage, attempts = nxt
        timeout_s = timeout_for(get_settings(), channel, stage)
        dispatch_after_commit(session, connection, video.id, stage, attempts, timeout_s)


async def new_round(session: AsyncSession, video: Video) -> None:
    """A fresh round of tries for the video's unfinished stages."""
    for run in (await repository.stage_runs(session, video.id)).values():
        if run.status not in (StageStatus.succeeded, StageStatus.skipped):
            run.tries = 0
    await session.flush()


async def upload_round(session: AsyncSession, video: Video) -> StageRun:
    """The upload stage's run, pending with a fresh round of tries."""
    run = (await repository.stage_runs(session, video.id)).get(VideoStage.upload)
    if run is None:
        run = StageRun(
            id=uuid.uuid4(),
            video_id=video.id,
            stage=VideoStage.upload,
            attempts=0,
            artifacts={},
            output={},
        )
        session.add(run)
    run.status = StageStatus.pending
    run.tries = 0
    run.output = without_resume_at(run.output)
    await session.flush()
    return run


RESUME_AT = "resume_at"  # in the upload run's output: not enqueued again before this time


def resume_at(run: StageRun) -> datetime | None:
    raw = (run.output or {}).get(RESUME_AT)
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def without_resume_at(output: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (output or {}).items() if k not in (RESUME_AT, "waiting_for")}


class PipelineDispatcher:
    """What the videos service calls when a video becomes queued (new, retried, approved or
    sent back): a fresh round of tries, and its next stage enqueued after commit; or when
    it becomes publishing: its upload stage enqueued on the publishing queue."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    async def video_queued(self, session: AsyncSession, video: Video) -> None:
        await new_round(session, video)
        await dispatch_next(session, self.connection, video)

    async def video_publishing(self, session: AsyncSession, video: Video) -> None:
        run = await upload_round(session, video)
        channel = await session.get(Channel, video.channel_id)
        assert channel is not None
        timeout_s = timeout_for(get_settings(), channel, VideoStage.upload)
        dispatch_after_commit(
            session, self.connection, video.id, VideoStage.upload, run.attempts, timeout_s
        )


class ReconcilerDispatcher:
    """For a process that cannot reach the running pipeline's Redis (the CLI next to an
    embedded ``ytempire serve``): a fresh round of tries; the reconciler enqueues the stage
    within ``YTE_RECONCILE_INTERVAL_SECONDS``."""

    async def video_queued(self, session: AsyncSession, video: Video) -> None:
        await new_round(session, video)

    async def video_publishing(self, session: AsyncSession, video: Video) -> None:
        await upload_round(session, video)


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


async def reconcile(
    session: AsyncSession,
    connection: redis.Redis,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Enqueue the first unfinished stage of every open video that has no live job; fail
    the video instead when that stage has used all its tries. Then the same for uploads
    (:func:`reconcile_uploads`)."""
    settings = settings or get_settings()
    enqueued = []
    for video, channel in await repository.open_videos(session):
        nxt = await repository.first_unfinished(session, video.id)
        if nxt is None:
            continue
        stage, attempts = nxt
        if is_held(connection, video.id, stage):
            continue
        jid = job_id(video.id, stage, attempts)
        if _job_alive(connection, jid, video.id, stage):
            continue
        run = (await repository.stage_runs(session, video.id)).get(stage)
        used = run.tries if run is not None else 0
        if run is not None and used >= settings.stage_max_attempts:
            last = run.error if run.status == StageStatus.failed and run.error else None
            reason = last or "its worker stopped (killed, or past its RQ time limit)"
            await fail_video(
                session,
                connection,
                video,
                channel,
                stage,
                f"failed after {used} attempts: {reason}",
            )
            continue
        if run is not None and run.status == StageStatus.running:
            run.status = StageStatus.failed
            run.error = f"attempt {used} stopped: its worker died or was killed"
        timeout_s = timeout_for(settings, channel, stage)
        dispatch_after_commit(session, connection, video.id, stage, attempts, timeout_s)
        enqueued.append(jid)
    enqueued += await reconcile_uploads(session, connection, settings, now or utcnow())
    if enqueued:
        log.info("pipeline.reconciled", jobs=enqueued)
    return enqueued


async def reconcile_uploads(
    session: AsyncSession, connection: redis.Redis, settings: Settings, now: datetime
) -> list[str]:
    """Enqueue the upload of every publishing video with no live job and no held lease,
    once its ``resume_at`` has passed; fail it when its tries are used up. Scheduled videos
    whose publish time has passed become published at that time."""
    stage = VideoStage.upload
    enqueued = []
    for video, channel in await repository.publishing_videos(session):
        if is_held(connection, video.id, stage):
            continue
        run = (await repository.stage_runs(session, video.id)).get(stage)
        if run is None:  # a publishing video whose dispatcher kept no run: a fresh round
            run = await upload_round(session, video)
        jid = job_id(video.id, stage, run.attempts)
        if _job_alive(connection, jid, video.id, stage):
            continue
        waiting = resume_at(run)
        if waiting is not None and waiting > now:
            continue  # the quota reset, or the backoff after a failed try
        used = run.tries
        if used >= settings.stage_max_attempts:
            last = run.error if run.status == StageStatus.failed and run.error else None
            reason = last or "its worker stopped (killed, or past its RQ time limit)"
            await fail_upload(
                session, connection, video, channel, f"failed after {used} attempts: {reason}"
            )
            continue
        if run.status == StageStatus.running:
            run.status = StageStatus.failed
            run.error = f"attempt {used} stopped: its worker died or was killed"
        timeout_s = timeout_for(settings, channel, stage)
        dispatch_after_commit(session, connection, video.id, stage, run.attempts, timeout_s)
        enqueued.append(jid)
    for video, _channel in await repository.due_scheduled(session, now):
        await went_public(session, video)
    return enqueued


async def went_public(session: AsyncSession, video: Video) -> None:
    """A scheduled video past its publish time: YouTube made it public at that time."""
    await state.transition(session, video, VideoStatus.published, sources=(VideoStatus.scheduled,))
    video.published_at = video.publish_at or video.published_at
    video.youtube_privacy = "public"
    await session.flush()
    log.info("video.went_public", video_id=str(video.id), at=str(video.published_at))
