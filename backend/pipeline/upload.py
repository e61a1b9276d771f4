"""The upload stage: a ready video goes to YouTube, durably, on the publishing queue.

``videos.service.publish`` (or :func:`after_ready` for a channel with ``auto_publish``)
moves a video ``ready -> publishing`` and enqueues ``backend.pipeline.tasks.run_upload``.
One try, under the stage's lease (:class:`~backend.pipeline.lease.StageLease`):

1. The video must still be ``publishing``; the upload run is marked started (one more try,
   at most ``YTE_STAGE_MAX_ATTEMPTS`` in a round, as for the production stages).
2. Guardrails (:func:`backend.publishing.guardrails.holds`): any reason sends the video back
   to ``ready`` with ``publish_holds`` and a ``video.publish_held`` event. Not a failure.
3. The metadata: title, description and tags of ``revenue_optimizer`` (on the video row),
   chapters from the real narration lengths the render recorded, the category of the
   channel's niche, the channel's language, ``made_for_kids`` and privacy (or the publish
   slot: private with ``publishAt``), ``containsSyntheticMedia``. The files: the rendered
   MP4, the thumbnail, the timed SRT.
4. :func:`backend.publishing.publish.publish` uploads (resumable, the session recorded after
   every chunk), sets the thumbnail and inserts the captions; progress goes to the live
   queue after every chunk, and a video its owner took back (no longer ``publishing``)
   stops at the next chunk, its session kept for a later publish.
5. How the try ends:

   * uploaded: ``published`` (or ``scheduled`` while its ``publishAt`` is ahead), with the
     YouTube id, the privacy YouTube reported and a warning when it differs;
     ``video.published``;
   * ``NeedsReconnect`` (or no grant, no OAuth client): back to ``ready`` with the reason and
     an alert; the video does not fail;
   * ``QuotaWait``: the run waits, pending, until ``resume_at`` (the Pacific reset); the
     reconciler enqueues it then; the try is not counted;
   * transient (YouTube kept failing, the try's time limit): the try failed; the reconciler
     tries again after a backoff, until the tries are used up, then the video fails;
   * refused by YouTube, invalid metadata, an upload whose outcome cannot be known, or any
     other error: the video fails at ``upload`` with the reason (``video.publish_failed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.revenue_optimizer import match_category
from backend.agents.script import Script
from backend.db.base import utcnow
from backend.db.session import after_commit, unit_of_work
from backend.errors import AppError, Conflict
from backend.events.bus import publish_sync
from backend.jobs.runtime import JobContext
from backend.models import Channel, StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.models.video import PRODUCTION_STAGES
from backend.pipeline import repository
from backend.pipeline.dispatch import (
    RESUME_AT,
    PipelineDispatcher,
    resume_at,
    timeout_for,
    without_resume_at,
)
from backend.pipeline.lease import StageLease
from backend.pipeline.outcome import fail_upload, hold_upload, video_event
from backend.publishing import repository as publishing_repository
from backend.publishing.clock import Clock, SystemClock
from backend.publishing.errors import (
    NeedsReconnect,
    NoOAuthClient,
    NotConnected,
    QuotaWait,
    RetriesExhausted,
)
from backend.publishing.guardrails import holds, video_file
from backend.publishing.metadata import VideoMetadata, chapter_lines, with_chapters
from backend.publishing.metrics import UPLOAD_SECONDS, UPLOADS
from backend.publishing.publish import PublishOutcome, publish
from backend.publishing.steps import StepOutcome
from backend.videos import service as videos_service
from backend.videos import state
from backend.videos.thumbnails import artifact_name

log = structlog.get_logger(__name__)

STAGE = VideoStage.upload
MAX_RETRY_DELAY_S = 3600.0
T = TypeVar("T")


class UploadTimedOut(Exception):
    """One try of the upload ran past its time limit (``YTE_UPLOAD_TIMEOUT_SECONDS``)."""


class UploadCancelled(Exception):
    """The owner took the video back while it was uploading (it is no longer publishing)."""


TRANSIENT = (UploadTimedOut, RetriesExhausted, TimeoutError, ConnectionError)
HELD_BY_YOUTUBE = (NeedsReconnect, NotConnected, NoOAuthClient)
RECONNECT = (
    "reconnect the channel to YouTube (the channel page, or `ytempire channel connect "
    "CHANNEL_ID`), then publish the video again: its upload resumes where it stopped"
)


async def after_ready(
    session: AsyncSession, connection: redis.Redis, video: Video, channel: Channel
) -> None:
    """Right after a video became ``ready``: a channel with ``auto_publish`` publishes it
    (``ready -> publishing``, its upload enqueued after commit): scheduled at its slot
    (``publish_at``, the autopilot's) while that is still ahead, else now. When the
    guardrails hold it, it stays ready with ``publish_holds`` and a ``video.publish_held``
    event."""
    if not channel.auto_publish or video.status != VideoStatus.ready:
        return
    slot = video.publish_at
    if slot is not None and slot < utcnow() + videos_service.MIN_SCHEDULE_AHEAD:
        slot = None  # made after its slot: published now
    try:
        await videos_service.publish(
            session, video, at=slot, dispatcher=PipelineDispatcher(connection)
        )
    except Conflict as exc:
        if exc.code != "publish_held":
            raise
        reasons = [str(r) for r in exc.details.get("reasons", [])]
        video.publish_holds = reasons
        await session.flush()
        await video_event(
            session,
            connection,
            video,
            channel,
            "video.publish_held",
            f"{video.title or video.topic or 'video'} is ready but was not published: "
            f"{'; '.join(reasons)}"[:500],
            {"title": video.title, "reasons": reasons, "auto_publish": True},
            severity="warning",
        )
        log.info("video.auto_publish_held", video_id=str(video.id), reasons=reasons)
        return
    log.info("video.auto_published", video_id=str(video.id))


@dataclass
class UploadPlan:
    """What one try uploads, read from the database before any byte goes out."""

    video_file: Path
    thumbnail: Path | None
    captions: Path | None
    metadata: VideoMetadata
    owner_id: uuid.UUID
    channel_id: uuid.UUID
    title: str | None
    quality_score: float | None
    tries: int
    confirmed_before: int


async def run_upload(
    ctx: JobContext,
    video_id: uuid.UUID,
    *,
    clock: Clock | None = None,
    chunk_bytes: int | None = None,
) -> dict[str, Any]:
    """One try of the upload stage of ``video_id`` (a second runner backs off)."""
    lease = StageLease(ctx.redis, video_id, STAGE, ttl_s=ctx.settings.stage_lease_seconds)
    if not lease.acquire():
        return {"skipped": "another runner holds this upload"}
    with lease:
        return await UploadRunner(ctx, video_id, clock=clock, chunk_bytes=chunk_bytes).run()


class UploadRunner:
    def __init__(
        self,
        ctx: JobContext,
        video_id: uuid.UUID,
        *,
        clock: Clock | None = None,
        chunk_bytes: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.video_id = video_id
        self.clock = clock or SystemClock()
        self.chunk_bytes = chunk_bytes
        self.max_tries = ctx.settings.stage_max_attempts
        self.timeout_s = 0.0
        self.progressed = False  # YouTube confirmed more bytes during this try
        self._plan: UploadPlan | None = None
        self._last_event = -1.0  # the first progress event always goes out

    # -- the try -----------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        plan = await self._start()
        if isinstance(plan, dict):
            return plan
        self._plan = plan
        started = time.perf_counter()
        self._event(0.0, f"attempt {plan.tries}/{self.max_tries}")
        try:
            outcome = await self._within(self._publish(plan))
        except UploadCancelled:
            return await self._cancelled(time.perf_counter() - started)
        except QuotaWait as exc:
            return await self._quota_wait(exc, time.perf_counter() - started)
        except HELD_BY_YOUTUBE as exc:
            return await self._needs_owner(exc, time.perf_counter() - started)
        except TRANSIENT as exc:
            return await self._try_failed(_reason(exc), time.perf_counter() - started)
        except AppError as exc:  # refused by YouTube, invalid metadata, outcome unknown
            return await self._failed(exc.message, time.perf_counter() - started)
        except Exception as exc:
            await self._failed(_reason(exc), time.perf_counter() - started)
            raise
        return await self._finish(outcome, time.perf_counter() - started)

    async def _start(self) -> UploadPlan | dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            video, channel = await repository.video_and_channel(session, self.video_id)
            if video is None or channel is None:
                return {"skipped": "video gone"}
            if video.status != VideoStatus.publishing:
                log.info("upload.skipped", video_id=str(video.id), status=video.status.value)
                return {"skipped": f"video is {video.status.value}"}
            runs = await repository.stage_runs(session, video.id)
            run = runs.get(STAGE)
            if run is None:
                run = StageRun(
                    id=uuid.uuid4(),
                    video_id=video.id,
                    stage=STAGE,
                    attempts=0,
                    artifacts={},
                    output={},
                )
                session.add(run)
            waiting = resume_at(run)
            if waiting is not None and waiting > self.clock.now():  # a stray early job
                return {"waiting": waiting.isoformat()}
            used = run.tries or 0
            if used >= self.max_tries:  # the reconciler stops first; this is the backstop
                previous = run.error or "its worker stopped"
                reason = f"failed after {used} attempts: {previous}"
                await fail_upload(session, self.ctx.redis, video, channel, reason)
                UPLOADS.labels(outcome="failed").inc()
                return {"failed": reason}
            self.timeout_s = timeout_for(self.ctx.settings, channel, STAGE)
            run.status = StageStatus.running
            run.attempts = (run.attempts or 0) + 1
            run.tries = used + 1
            run.started_at = utcnow()
            run.finished_at = None
            run.output = without_resume_at(run.output)
            video.stage = STAGE
            await session.flush()
            media_dir = self.ctx.settings.media_dir
            reasons = await holds(session, video, channel, media_dir=media_dir)
            if reasons:
                run.status = StageStatus.pending
                run.tries = 0
                run.error = None
                await hold_upload(session, self.ctx.redis, video, channel, reasons)
                UPLOADS.labels(outcome="held").inc()
                return {"held": reasons}
            try:
                plan = build_plan(
                    video, channel, runs, media_dir, tries=run.tries, now=self.clock.now()
                )
            except AppError as exc:  # MetadataInvalid: no title, and the like
                run.status = StageStatus.failed
                run.error = exc.message[:2000]
                run.finished_at = utcnow()
                await fail_upload(session, self.ctx.redis, video, channel, f"failed: {exc.message}")
                UPLOADS.labels(outcome="failed").inc()
                return {"failed": exc.message}
            upload = await publishing_repository.get_upload(session, video.id)
            plan.confirmed_before = upload.confirmed_bytes if upload is not None else 0
        log.info(
            "upload.started",
            video_id=str(self.video_id),
            attempt=plan.tries,
            timeout_s=self.timeout_s,
            resume_from=plan.confirmed_before,
        )
        return plan

    async def _publish(self, plan: UploadPlan) -> PublishOutcome:
        return await publish(
            self.ctx.sessions,
            self.ctx.settings,
            video_id=self.video_id,
            channel_id=plan.channel_id,
            video_file=plan.video_file,
            metadata=plan.metadata,
            thumbnail=plan.thumbnail,
            captions=plan.captions,
            clock=self.clock,
            quota_mode="raise",
            on_progress=self._progress,
            chunk_bytes=self.chunk_bytes,
        )

    async def _within(self, work: Awaitable[T]) -> T:
        """``work`` if it ends within this try's limit; else it is abandoned: UploadTimedOut.

        The chunk in flight in its thread is not waited for; the session keeps what YouTube
        confirmed, and the next try resumes from there."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.timeout_s)
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait({task}, timeout=1.0)
        raise UploadTimedOut(
            f"timed out after {self.timeout_s:g} s (YTE_UPLOAD_TIMEOUT_SECONDS); the upload "
            "session is kept and the next try resumes it"
        )

    async def _progress(self, confirmed: int, total: int) -> None:
        """After every chunk YouTube confirmed: record it, tell the live queue, and stop if
        the owner took the video back."""
        plan = self._plan
        assert plan is not None
        if confirmed > plan.confirmed_before:
            self.progressed = True
        fraction = confirmed / total if total else 0.0
        async with unit_of_work(self.ctx.sessions) as session:
            still = await repository.note_upload_progress(session, self.video_id, fraction)
        if not still:
            raise UploadCancelled()
        self._event(fraction, f"{confirmed / 1e6:.1f} of {total / 1e6:.1f} MB uploaded")

    def _event(self, fraction: float, detail: str | None, status: str = "publishing") -> None:
        """A ``video.stage`` event for the live queue (at most 2 a second while uploading)."""
        plan = self._plan
        if plan is None:
            return
        if 0.0 < fraction < 1.0:
            now = time.monotonic()
            if now - self._last_event < 0.5:
                return
            self._last_event = now
        fraction = round(max(0.0, min(1.0, fraction)), 3)
        with contextlib.suppress(redis.RedisError):
            publish_sync(
                self.ctx.redis,
                plan.owner_id,
                {
                    "type": "video.stage",
                    "video_id": str(self.video_id),
                    "channel_id": str(plan.channel_id),
                    "stage": STAGE.value,
                    "stage_progress": fraction,
                    "progress": fraction,
                    "status": status,
                    "title": plan.title,
                    "quality_score": plan.quality_score,
                    "detail": detail,
                },
            )

    # -- how it ended ------------------------------------------------------------------------
    async def _record(
        self, session: AsyncSession, seconds: float
    ) -> tuple[Video | None, Channel | None, StageRun | None]:
        video, channel = await repository.video_and_channel(session, self.video_id)
        if video is None:
            return None, None, None
        run = (await repository.stage_runs(session, video.id)).get(STAGE)
        if run is not None:
            run.finished_at = utcnow()
            run.duration_s = round(seconds, 3)
        upload = await publishing_repository.get_upload(session, video.id)
        if upload is not None and upload.youtube_video_id and not video.youtube_video_id:
            video.youtube_video_id = upload.youtube_video_id  # on YouTube; its steps may wait
        return video, channel, run

    def _count(self, outcome: str, seconds: float) -> None:
        UPLOADS.labels(outcome=outcome).inc()
        UPLOAD_SECONDS.labels(outcome=outcome).observe(seconds)

    async def _finish(self, outcome: PublishOutcome, seconds: float) -> dict[str, Any]:
        now = self.clock.now()
        scheduled = outcome.publish_at is not None and outcome.publish_at > now
        async with unit_of_work(self.ctx.sessions) as session:
            video, channel, run = await self._record(session, seconds)
            if video is None or channel is None:
                return {"skipped": "video gone"}
            warning = outcome.warning
            if (
                not scheduled
                and video.publish_at is not None
                and video.publish_at > now
                and outcome.privacy_reported == "private"
            ):
                warning = warning or (
                    "YouTube did not keep the publish time: the video is private. Set its "
                    "visibility or schedule in YouTube Studio."
                )
            if video.status == VideoStatus.ready:  # taken back after YouTube had it all
                await state.transition(session, video, VideoStatus.publishing)
                warning = (
                    "The upload was cancelled after YouTube had received the whole video, so "
                    "it is on YouTube; delete it in YouTube Studio if it should not be there."
                )
            if run is not None:
                run.status = StageStatus.succeeded
                run.error = None
                run.tries = 0
                run.output = _output(outcome, warning)
            target = VideoStatus.scheduled if scheduled else VideoStatus.published
            if video.status != VideoStatus.publishing:  # discarded meanwhile: keep the id
                video.youtube_video_id = outcome.youtube_video_id
                log.warning("upload.finished_for_closed_video", video_id=str(video.id))
                return {"uploaded": outcome.youtube_video_id, "status": video.status.value}
            await state.transition(
                session,
                video,
                target,
                sources=(VideoStatus.publishing,),
                youtube_video_id=outcome.youtube_video_id,
                youtube_privacy=outcome.privacy_reported,
                publish_warning=warning,
                publish_holds=[],
                publish_at=outcome.publish_at if scheduled else video.publish_at,
                stage_progress=1.0,
                error=None,
            )
            name = video.title or video.topic or "video"
            if scheduled:
                assert outcome.publish_at is not None
                message = (
                    f"{name} is on YouTube, private until {outcome.publish_at.isoformat()}: "
                    f"{outcome.url}"
                )
            else:
                message = (
                    f"{name} is published on YouTube ({outcome.privacy_reported}): {outcome.url}"
                )
            if warning:
                message += f". {warning}"
            await video_event(
                session,
                self.ctx.redis,
                video,
                channel,
                "video.published",
                message[:500],
                {
                    "title": video.title,
                    "url": outcome.url,
                    "youtube_video_id": outcome.youtube_video_id,
                    "privacy": outcome.privacy_reported,
                    "scheduled": scheduled,
                    "publish_at": outcome.publish_at.isoformat() if outcome.publish_at else None,
                    "warning": warning,
                    "thumbnail": _step_status(outcome.thumbnail),
                    "captions": _step_status(outcome.captions),
                },
                severity="warning" if warning else "info",
            )
            after_commit(session, lambda: self._event(1.0, outcome.url, status=target.value))
        self._count(target.value, seconds)
        log.info(
            "upload.finished",
            video_id=str(self.video_id),
            youtube_video_id=outcome.youtube_video_id,
            status=target.value,
            seconds=round(seconds, 2),
            resumed=outcome.resumed,
            bytes_sent=outcome.bytes_sent,
        )
        return {
            "stage": STAGE.value,
            "outcome": target.value,
            "youtube_video_id": outcome.youtube_video_id,
            "resumed": outcome.resumed,
        }

    async def _cancelled(self, seconds: float) -> dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            video, _, run = await self._record(session, seconds)
            if video is not None and video.status == VideoStatus.ready:
                video.stage = PRODUCTION_STAGES[-1]
            if run is not None:
                run.status = StageStatus.pending
                run.tries = 0
                run.error = "cancelled by its owner; the upload session is kept for a resume"
        self._count("cancelled", seconds)
        log.info("upload.cancelled", video_id=str(self.video_id))
        return {"stage": STAGE.value, "outcome": "cancelled"}

    async def _quota_wait(self, exc: QuotaWait, seconds: float) -> dict[str, Any]:
        """Not enough quota today: wait for the reset, durably; this try does not count."""
        async with unit_of_work(self.ctx.sessions) as session:
            video, _, run = await self._record(session, seconds)
            if video is None or run is None:
                return {"skipped": "video gone"}
            run.status = StageStatus.pending
            run.tries = max(0, (run.tries or 1) - 1)
            run.error = exc.message[:2000]
            run.output = {
                **without_resume_at(run.output),
                RESUME_AT: exc.resume_at.isoformat(),
                "waiting_for": "quota",
            }
        self._event(0.0, f"waiting for YouTube quota until {exc.resume_at.isoformat()}")
        self._count("quota_wait", seconds)
        log.info("upload.quota_wait", video_id=str(self.video_id), until=str(exc.resume_at))
        return {"stage": STAGE.value, "outcome": "quota_wait", RESUME_AT: str(exc.resume_at)}

    async def _needs_owner(self, exc: AppError, seconds: float) -> dict[str, Any]:
        """The channel's grant is revoked (or gone): hold the video, alert; it does not fail."""
        if isinstance(exc, NeedsReconnect):
            reason = (
                f"YouTube access for the channel must be reconnected ({exc.reason}): {RECONNECT}"
            )
        else:
            reason = exc.message
        async with unit_of_work(self.ctx.sessions) as session:
            video, channel, run = await self._record(session, seconds)
            if video is None or channel is None:
                return {"skipped": "video gone"}
            if run is not None:
                run.status = StageStatus.pending
                run.tries = 0
                run.error = reason[:2000]
            await hold_upload(session, self.ctx.redis, video, channel, [reason], severity="error")
            if isinstance(exc, NeedsReconnect):
                await video_event(
                    session,
                    self.ctx.redis,
                    video,
                    channel,
                    "channel.needs_reconnect",
                    f"{channel.name}: {reason}"[:500],
                    {"channel_id": str(channel.id), "reason": exc.reason},
                    severity="error",
                )
        self._count("needs_reconnect" if isinstance(exc, NeedsReconnect) else "held", seconds)
        return {"stage": STAGE.value, "outcome": "held", "reason": reason}

    async def _try_failed(self, reason: str, seconds: float) -> dict[str, Any]:
        """This try failed in a way another may not: count it, and let the reconciler try
        again after a backoff; with no tries left the video fails. A try during which
        YouTube confirmed more bytes starts the count again (the file is finite)."""
        async with unit_of_work(self.ctx.sessions) as session:
            video, channel, run = await self._record(session, seconds)
            if video is None or channel is None or run is None:
                return {"skipped": "video gone"}
            used = run.tries
            run.status = StageStatus.failed
            run.error = f"attempt {used}/{self.max_tries}: {reason}"[:2000]
            log.warning("upload.try_failed", video_id=str(video.id), attempt=used, reason=reason)
            if video.status != VideoStatus.publishing:
                return {"stage": STAGE.value, "outcome": f"stopped: {reason}"}
            if used >= self.max_tries and not self.progressed:
                await fail_upload(
                    session,
                    self.ctx.redis,
                    video,
                    channel,
                    f"failed after {used} attempts: {reason}",
                )
                self._count("failed", seconds)
                return {"stage": STAGE.value, "outcome": "failed", "reason": reason}
            if self.progressed:
                run.tries = 0
            delay = retry_delay(self.ctx.settings.youtube_upload_max_backoff_seconds, used)
            run.output = {
                **without_resume_at(run.output),
                RESUME_AT: (utcnow() + timedelta(seconds=delay)).isoformat(),
                "waiting_for": "retry",
            }
        self._count("retry", seconds)
        return {"stage": STAGE.value, "outcome": "retry", "reason": reason, "in_s": delay}

    async def _failed(self, reason: str, seconds: float) -> dict[str, Any]:
        """An error another try would repeat: the video fails at upload now, with the reason."""
        log.error("upload.failed", video_id=str(self.video_id), error=reason)
        async with unit_of_work(self.ctx.sessions) as session:
            video, channel, run = await self._record(session, seconds)
            if video is None or channel is None:
                return {"skipped": "video gone"}
            if run is not None:
                run.status = StageStatus.failed
                run.error = reason[:2000]
            await fail_upload(session, self.ctx.redis, video, channel, f"failed: {reason}")
        self._count("failed", seconds)
        return {"stage": STAGE.value, "outcome": "failed", "reason": reason}


def retry_delay(base_s: float, tries: int) -> float:
    """Seconds before the next try: ``base * 2**(tries-1)``, at most an hour."""
    return min(MAX_RETRY_DELAY_S, max(0.0, base_s) * (2 ** max(0, tries - 1)))


# -- what goes to YouTube --------------------------------------------------------------------
def build_plan(
    video: Video,
    channel: Channel,
    runs: dict[VideoStage, StageRun],
    media_dir: Path,
    *,
    tries: int,
    now: datetime | None = None,
) -> UploadPlan:
    """The files and the metadata of ``video`` (the guardrails passed, so the MP4 is there)."""
    render = runs.get(VideoStage.render)
    mp4 = video_file(media_dir, video, render)
    if mp4 is None:
        raise AppError("the rendered video file is missing", code="render_missing")
    video_dir = media_dir / str(video.id)
    thumbnail = _artifact(
        video_dir, runs.get(VideoStage.thumbnail), artifact_name(video.thumbnail_variant)
    )
    captions = _artifact(video_dir, render, "subtitles")
    return UploadPlan(
        video_file=mp4,
        thumbnail=thumbnail,
        captions=captions,
        metadata=video_metadata(video, channel, runs, now=now),
        owner_id=channel.owner_id,
        channel_id=channel.id,
        title=video.title or video.topic,
        quality_score=video.quality_score,
        tries=tries,
        confirmed_before=0,
    )


def video_metadata(
    video: Video,
    channel: Channel,
    runs: dict[VideoStage, StageRun],
    *,
    now: datetime | None = None,
) -> VideoMetadata:
    """The videos.insert metadata of ``video``: revenue_optimizer's title, description and
    tags (kept on the video row), chapters from the narration's measured lengths, the
    niche's category, the channel's language, made-for-kids and privacy, or the slot."""
    now = now or utcnow()
    seo = _output_of(runs, VideoStage.thumbnail).get("seo") or {}
    description = video.description or seo.get("description") or ""
    lines = chapters(video, runs)
    if lines is not None:
        description = with_chapters(description, lines)
    publish_at = video.publish_at if video.publish_at and video.publish_at > now else None
    privacy = channel.privacy.value
    if video.publish_at is not None and publish_at is None:
        privacy = "public"  # its slot passed while it waited: it goes public now
    return VideoMetadata(
        title=video.title or seo.get("title") or video.topic or "",
        description=description,
        made_for_kids=channel.made_for_kids,
        tags=list(video.tags or seo.get("tags") or []),
        category=seo.get("category") or match_category(channel.niche),
        language=channel.language,
        privacy=privacy,  # type: ignore[arg-type]
        publish_at=publish_at,
        synthetic_media=True,
    )


def _output_of(runs: dict[VideoStage, StageRun], stage: VideoStage) -> dict[str, Any]:
    run = runs.get(stage)
    return dict(run.output or {}) if run is not None else {}


def chapters(video: Video, runs: dict[VideoStage, StageRun]) -> list[str] | None:
    """Chapter lines from the render's measured narration (None: no measurements, the
    description is left as it is)."""
    output = _output_of(runs, VideoStage.render)
    clip_seconds = output.get("clip_seconds")
    raw_script = video.script or _output_of(runs, VideoStage.script).get("script")
    if not clip_seconds or not raw_script:
        return None
    try:
        script = Script.model_validate(raw_script)
        starts = script.chapter_starts(
            [float(s) for s in clip_seconds], float(output.get("intro_s") or 0.0)
        )
    except (ValueError, TypeError):
        return None
    entries = [(0.0, "Intro")] + [
        (start, _first_sentence(scene.narration))
        for scene, start in zip(script.scenes, starts, strict=True)
    ]
    duration = output.get("duration_s")
    return chapter_lines(entries, float(duration) if duration else None)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip())[0]


def _artifact(video_dir: Path, run: StageRun | None, name: str) -> Path | None:
    if run is None or run.status != StageStatus.succeeded:
        return None
    relative = (run.artifacts or {}).get(name)
    if not relative:
        return None
    path = video_dir / relative
    return path if path.is_file() else None


def _step_status(step: StepOutcome | None) -> str | None:
    if step is None:
        return None
    return step.detail if step.status == "skipped" else step.status


def _output(outcome: PublishOutcome, warning: str | None) -> dict[str, Any]:
    return {
        "url": outcome.url,
        "youtube_video_id": outcome.youtube_video_id,
        "privacy_requested": outcome.privacy_requested,
        "privacy": outcome.privacy_reported,
        "publish_at": outcome.publish_at.isoformat() if outcome.publish_at else None,
        "warning": warning,
        "thumbnail": _step_status(outcome.thumbnail),
        "thumbnail_detail": outcome.thumbnail.detail if outcome.thumbnail else None,
        "captions": _step_status(outcome.captions),
        "caption_id": outcome.captions.caption_id if outcome.captions else None,
        "bytes_sent": outcome.bytes_sent,
        "resumed": outcome.resumed,
        "sessions_started": outcome.sessions_started,
        "retries": outcome.retries,
    }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (UploadTimedOut, AppError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:2000]
