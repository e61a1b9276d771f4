"""Runs one stage of one video, durably.

1. Under the stage's lease, check the video still wants this stage (not cancelled, this
   is its first unfinished stage, the channel may spend, tries are left) and mark the
   run started: one more try.
2. Run the step within the stage's time limit (``YTE_<STAGE>_TIMEOUT_SECONDS``);
   transient errors retry with backoff inside that limit, each retry one more try.
3. In one transaction record the outputs, artifacts, timings and the step's typed
   changes to the video, then (after commit) enqueue the next stage or finish the video.
Each model call's charge is written to the cost ledger as soon as the call is served, in
its own short transaction (``backend.costs.ledger``), not with the outcome: an attempt that
times out, is superseded or dies still pays for what it was served.

Fencing: starting claims the stage's next attempt in the database, and every outcome
(success, a failed try, a retry, a failure) is written only while that attempt is still
the stage's current one (``repository.fence``; see ``backend/pipeline/lease.py``). A
runner that stalled past its lease while another took the stage over records nothing:
two runs of one stage never both commit.
A try that times out or runs out of transient retries is recorded as failed with its
reason and the stage is enqueued again, until ``YTE_STAGE_MAX_ATTEMPTS`` tries: then the
video fails with that reason. Any other error fails the video at once. A crash anywhere
loses at most this try: the run stays `running` without a lease and the reconciler
enqueues it again (the crashed try counts); finished stages are never re-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import openai
import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.loop import video_revenues
from backend.costs.ledger import Ledger
from backend.db.base import utcnow
from backend.db.session import after_commit, unit_of_work
from backend.events.bus import publish_sync
from backend.jobs.queues import QueueName, enqueue_after_commit
from backend.jobs.runtime import JobContext
from backend.media.disk import InsufficientDiskSpace
from backend.models import (
    Channel,
    StageRun,
    StageStatus,
    Video,
    VideoFormat,
    VideoStage,
    VideoStatus,
)
from backend.niches.explorer import store_explorer
from backend.observability.metrics import STAGE_ATTEMPTS
from backend.pipeline import repository
from backend.pipeline.context import StageContext, StepResult, VideoSnapshot, stage_event
from backend.pipeline.dispatch import dispatch_after_commit, dispatch_next, timeout_for
from backend.pipeline.limits import setting_name, stage_delay
from backend.pipeline.outcome import crisis, fail_video, hold_for_render_qa, video_event
from backend.pipeline.stages import next_stage, overall_progress
from backend.pipeline.steps import STEPS
from backend.pipeline.upload import after_ready
from backend.videos import state

log = structlog.get_logger(__name__)

TRANSIENT = (
    InsufficientDiskSpace,  # room may be freed (pruning, the owner) before the next try
    TimeoutError,
    ConnectionError,
    httpx.TransportError,
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.RateLimitError,
    openai.InternalServerError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
BACKOFF_S = (2.0, 5.0, 15.0)
T = TypeVar("T")


class StageTimedOut(Exception):
    """One try of a stage ran past its time limit."""


class Superseded(Exception):
    """Another runner claimed this stage after this one: this one records nothing more."""


class StageRunner:
    def __init__(self, ctx: JobContext, video_id: uuid.UUID, stage: VideoStage) -> None:
        self.ctx = ctx
        self.video_id = video_id
        self.stage = stage
        self.timeout_s = 0.0  # set at start, from the channel's target length
        self.tries = 0  # tries of this stage in the current round, this one included
        self.max_tries = ctx.settings.stage_max_attempts
        self.attempt = 0  # the fencing token: the stage_runs.attempts this runner claimed
        self.ledger: Ledger | None = None  # set at start: where charges go as served

    async def run(self) -> dict[str, Any]:
        stage_ctx = await self._start()
        if isinstance(stage_ctx, dict):
            return stage_ctx
        started = time.perf_counter()
        try:
            try:
                result = await self._execute(stage_ctx)
            finally:
                await self._settle()  # every charge served by now is in the ledger
                await stage_ctx.close()
        except Superseded:
            return self._superseded("retry")
        except (StageTimedOut, *TRANSIENT) as exc:
            return await self._try_failed(_reason(exc), time.perf_counter() - started)
        except Exception as exc:
            await self._fail(exc, time.perf_counter() - started)
            raise
        return await self._finish(result, time.perf_counter() - started)

    async def _lock_video(self, session: AsyncSession) -> Video | None:
        """The video's row, locked to the end of the transaction and read fresh: every
        transaction of a runner takes it first, so a start and an outcome never interleave."""
        return await session.get(Video, self.video_id, with_for_update=True, populate_existing=True)

    async def _settle(self) -> None:
        if self.ledger is None:
            return
        unrecorded = await self.ledger.settle()
        if unrecorded:
            log.warning("stage.charges_unrecorded", stage=self.stage.value, charges=len(unrecorded))

    async def _write_unrecorded(self, session: AsyncSession) -> None:
        """Charges no try of their own could write go in with the outcome (at most once)."""
        if self.ledger is not None and self.ledger.unrecorded:
            await self.ledger.write_unrecorded(session)

    def _superseded(self, where: str) -> dict[str, Any]:
        log.warning(
            "stage.superseded",
            video_id=str(self.video_id),
            stage=self.stage.value,
            attempt=self.attempt,
            at=where,
        )
        return {"stage": self.stage.value, "outcome": "superseded", "attempt": self.attempt}

    async def _start(self) -> StageContext | dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            video = await self._lock_video(session)
            if video is None:
                return {"skipped": "video gone"}
            if video.status not in (VideoStatus.queued, VideoStatus.running):
                log.info("stage.skipped", video_id=str(video.id), status=video.status.value)
                return {"skipped": f"video is {video.status.value}"}
            nxt = await repository.first_unfinished(session, video.id)
            if nxt is None or nxt[0] != self.stage:
                if nxt is not None:
                    await dispatch_next(session, self.ctx.redis, video)
                return {"skipped": "not the next stage"}
            channel = await session.get(Channel, video.channel_id)
            assert channel is not None
            verdict = await crisis.before_work(session, self.ctx.redis, channel)
            if not verdict.proceed:
                log.info("stage.held", video_id=str(video.id), reason=verdict.reason)
                return {"held": verdict.reason}
            runs = await repository.stage_runs(session, video.id)
            used = runs[self.stage].tries if self.stage in runs else 0
            if used >= self.max_tries:  # the reconciler stops first; this is the backstop
                previous = runs[self.stage].error or "its worker stopped"
                reason = f"failed after {used} attempts: {previous}"
                await fail_video(session, self.ctx.redis, video, channel, self.stage, reason)
                return {"failed": reason}
            run = runs.get(self.stage)
            if run is None:
                run = StageRun(
                    id=uuid.uuid4(),
                    video_id=video.id,
                    stage=self.stage,
                    status=StageStatus.running,
                    attempts=1,
                    tries=used + 1,
                    started_at=utcnow(),
                    artifacts={},
                    output={},
                )
                session.add(run)
                await session.flush()  # (video, stage) is unique: one first start only
                self.attempt = 1
            else:  # run.error keeps the last try's reason until a success
                attempt = await repository.claim_attempt(session, run, tries=used + 1)
                if attempt is None:
                    log.info("stage.claimed_elsewhere", video_id=str(video.id), stage=self.stage)
                    return {"skipped": "another runner claimed this stage"}
                self.attempt = attempt
            self.tries = run.tries
            if video.status == VideoStatus.queued:
                await state.transition(session, video, VideoStatus.running)
            self.timeout_s = timeout_for(self.ctx.settings, channel, self.stage)
            video.stage = self.stage
            video.stage_progress = overall_progress(self.stage, 0.0)
            await session.flush()
            snapshot = _snapshot(video, channel)
            outputs = {
                s: dict(r.output or {})
                for s, r in runs.items()
                if r.status == StageStatus.succeeded
            }
            artifacts = {
                s: r.artifacts for s, r in runs.items() if r.status == StageStatus.succeeded
            }
            if self.stage in runs:  # quality history and the like survive a re-run
                outputs.setdefault(self.stage, dict(runs[self.stage].output or {}))
            past_topics = past_scripts = past_revenues = None
            if self.stage == VideoStage.topic and not video.topic:
                past_topics = await repository.past_topics(session, channel.id, video.id)
                past_revenues = await video_revenues(
                    session, channel.id, self.ctx.settings.topic_revenue_days, utcnow()
                )
            if self.stage == VideoStage.quality:
                past_scripts = await repository.past_scripts(session, channel.id, video.id)
            self.ledger = Ledger(
                self.ctx.sessions,
                self.ctx.redis,
                channel_id=channel.id,
                video_id=video.id,
                stage=self.stage.value,
            )
        stage_ctx = StageContext(
            settings=self.ctx.settings,
            redis=self.ctx.redis,
            video=snapshot,
            stage=self.stage,
            outputs=outputs,
            artifacts=artifacts,
            past_topics=past_topics or [],
            past_revenues=past_revenues or [],
            past_scripts=past_scripts or [],
            explorer=store_explorer(self.ctx.sessions) if past_topics is not None else None,
            ledger=self.ledger,
        )
        STAGE_ATTEMPTS.labels(stage=self.stage.value).inc()
        stage_ctx.progress(0.0, f"attempt {used + 1}/{self.max_tries}")
        log.info(
            "stage.started",
            video_id=str(self.video_id),
            stage=self.stage.value,
            attempt=used + 1,
            fence=self.attempt,
            timeout_s=self.timeout_s,
        )
        return stage_ctx

    async def _execute(self, stage_ctx: StageContext) -> StepResult:
        """The step, within this try's time limit; transient errors retry inside it."""
        deadline = time.monotonic() + self.timeout_s
        step = STEPS[self.stage]
        delay_s = stage_delay(self.ctx.settings, self.stage)
        if delay_s:
            await self._within(asyncio.sleep(delay_s), deadline)
        while True:
            try:
                return await self._within(step(stage_ctx), deadline)
            except TRANSIENT as exc:
                if self.tries >= self.max_tries:
                    raise
                self.tries = await self._note_retry(repr(exc))
                backoff = BACKOFF_S[min(self.tries - 2, len(BACKOFF_S) - 1)]
                log.warning(
                    "stage.transient_error",
                    stage=self.stage.value,
                    error=repr(exc),
                    retry_in=backoff,
                )
                await self._within(asyncio.sleep(backoff), deadline)

    async def _within(self, work: Awaitable[T], deadline: float) -> T:
        """``work`` if it ends before ``deadline``; otherwise it is cancelled: StageTimedOut.

        A step blocked in a thread (an encode, a model call) is abandoned, not waited for.
        """
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait({task}, timeout=1.0)
        raise StageTimedOut(f"timed out after {self.timeout_s:g} s ({setting_name(self.stage)})")

    async def _note_retry(self, error: str) -> int:
        """Record a transient failure as one more try (and attempt: the fence moves on with
        it); returns the tries used. Superseded when another runner holds the stage."""
        async with unit_of_work(self.ctx.sessions) as session:
            await self._lock_video(session)
            held = await repository.fence(
                session,
                self.video_id,
                self.stage,
                self.attempt,
                attempts=self.attempt + 1,
                tries=StageRun.tries + 1,
                error=f"retrying after: {error}"[:2000],
            )
            if not held:
                raise Superseded
            tries = (await repository.stage_runs(session, self.video_id))[self.stage].tries
        self.attempt += 1
        STAGE_ATTEMPTS.labels(stage=self.stage.value).inc()
        return tries

    async def _try_failed(self, reason: str, seconds: float) -> dict[str, Any]:
        """This try failed in a way another may not (a timeout, a service that stayed down):
        record it, and enqueue the next try or, with none left, fail the video."""
        async with unit_of_work(self.ctx.sessions) as session:
            video = await self._lock_video(session)
            if video is None:
                return {"skipped": "video gone"}
            await self._write_unrecorded(session)
            if not await repository.fence(
                session,
                self.video_id,
                self.stage,
                self.attempt,
                status=StageStatus.failed,
                finished_at=utcnow(),
                duration_s=round(seconds, 3),
            ):
                return self._superseded("try_failed")
            channel = await session.get(Channel, video.channel_id)
            runs = await repository.stage_runs(session, video.id)
            run = runs[self.stage]
            used = run.tries
            run.error = f"attempt {used}/{self.max_tries}: {reason}"[:2000]
            log.warning(
                "stage.try_failed",
                video_id=str(self.video_id),
                stage=self.stage.value,
                attempt=used,
                reason=reason,
            )
            if video.status != VideoStatus.running or channel is None:
                return {"stage": self.stage.value, "outcome": f"stopped: {reason}"}
            if used >= self.max_tries:
                await fail_video(
                    session,
                    self.ctx.redis,
                    video,
                    channel,
                    self.stage,
                    f"failed after {used} attempts: {reason}",
                )
                return {"stage": self.stage.value, "outcome": "failed", "reason": reason}
            dispatch_after_commit(
                session, self.ctx.redis, video.id, self.stage, run.attempts, self.timeout_s
            )
            return {"stage": self.stage.value, "outcome": "retry", "reason": reason}

    async def _finish(self, result: StepResult, seconds: float) -> dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            video = await self._lock_video(session)
            if video is None:
                return {"skipped": "video gone"}
            await self._write_unrecorded(session)
            if not await repository.fence(
                session,
                self.video_id,
                self.stage,
                self.attempt,
                finished_at=utcnow(),
                duration_s=round(seconds, 3),
            ):
                return self._superseded("finish")
            channel = await session.get(Channel, video.channel_id)
            assert channel is not None
            runs = await repository.stage_runs(session, video.id)
            run = runs[self.stage]
            run.device_seconds = result.device_seconds
            run.cost_usd = Decimal(str(result.cost_usd))
            run.output = result.output
            run.artifacts = result.artifacts
            run.error = None
            run.tries = 0  # a new round of tries starts after a success
            # result.charges are in the ledger already: written as each call was served
            result.video.apply(video)
            outcome = await self._advance(session, video, channel, run, runs, result)
            snapshot = _snapshot(video, channel)
            shown = next_stage(self.stage) if outcome == "next" else None
            event = stage_event(snapshot, shown or self.stage, 0.0 if shown else 1.0)
            event["progress"] = video.stage_progress
            owner_id = channel.owner_id
            after_commit(session, lambda: publish_sync(self.ctx.redis, owner_id, event))
        log.info(
            "stage.finished",
            video_id=str(self.video_id),
            stage=self.stage.value,
            seconds=round(seconds, 2),
            outcome=outcome,
            cost_usd=result.cost_usd,
        )
        return {"stage": self.stage.value, "outcome": outcome, "seconds": round(seconds, 3)}

    async def _advance(
        self,
        session: AsyncSession,
        video: Video,
        channel: Channel,
        run: StageRun,
        runs: dict[VideoStage, StageRun],
        result: StepResult,
    ) -> str:
        cancelled = video.status != VideoStatus.running
        if result.decision == "regenerate":
            run.status = StageStatus.pending
            runs[VideoStage.script].status = StageStatus.pending
            if not cancelled:
                dispatch_after_commit(
                    session,
                    self.ctx.redis,
                    video.id,
                    VideoStage.script,
                    runs[VideoStage.script].attempts,
                    timeout_for(self.ctx.settings, channel, VideoStage.script),
                )
            return "regenerate"
        if result.decision == "hold":
            run.status = StageStatus.pending
            runs[VideoStage.script].status = StageStatus.pending
            if not cancelled:
                await state.transition(
                    session, video, VideoStatus.needs_review, quality_reasons=result.hold_reasons
                )
                await video_event(
                    session,
                    self.ctx.redis,
                    video,
                    channel,
                    "video.needs_review",
                    f"{video.title or video.topic or 'video'} needs review: "
                    f"quality {video.quality_score or 0:.2f} below "
                    f"{channel.quality_threshold:.2f}",
                    {
                        "title": video.title,
                        "score": video.quality_score,
                        "reasons": list(result.hold_reasons),
                    },
                    severity="warning",
                )
            return "needs_review"
        run.status = StageStatus.succeeded
        if cancelled:
            return f"stopped: video is {video.status.value}"
        nxt = next_stage(self.stage)
        if nxt is not None:
            video.stage_progress = overall_progress(nxt, 0.0)
            later = runs.get(nxt)
            dispatch_after_commit(
                session,
                self.ctx.redis,
                video.id,
                nxt,
                later.attempts if later else 0,
                timeout_for(self.ctx.settings, channel, nxt),
            )
            return "next"
        # a render that failed its QA waits for its owner (backend.render.qa)
        if await hold_for_render_qa(session, self.ctx.redis, video, channel):
            return "needs_review"
        await state.transition(session, video, VideoStatus.ready, stage_progress=1.0)
        crisis.on_success(channel)
        await video_event(
            session,
            self.ctx.redis,
            video,
            channel,
            "video.completed",
            f"{video.title or video.topic}: ready",
            {"title": video.title},
        )
        await after_ready(session, self.ctx.redis, video, channel)  # auto_publish channels
        _enqueue_short(session, self.ctx.redis, video, channel)  # style.shorts
        return "ready"

    async def _fail(self, exc: BaseException, seconds: float) -> None:
        """An error another try would repeat (a bug, bad input): the video fails now."""
        error = _reason(exc)
        log.error("stage.failed", video_id=str(self.video_id), stage=self.stage.value, error=error)
        async with unit_of_work(self.ctx.sessions) as session:
            video = await self._lock_video(session)
            if video is None:
                return
            await self._write_unrecorded(session)
            if not await repository.fence(
                session,
                self.video_id,
                self.stage,
                self.attempt,
                status=StageStatus.failed,
                error=error,
                finished_at=utcnow(),
                duration_s=round(seconds, 3),
            ):
                self._superseded("fail")
                return
            channel = await session.get(Channel, video.channel_id)
            if video.status != VideoStatus.running or channel is None:
                return
            await fail_video(
                session, self.ctx.redis, video, channel, self.stage, f"failed: {error}"
            )


MAKE_SHORT = "backend.shorts.tasks.make_short"  # by path: backend.shorts is a higher layer
SHORT_JOB_TIMEOUT_S = 1800


def _enqueue_short(
    session: AsyncSession, connection: redis.Redis, video: Video, channel: Channel
) -> None:
    """Once a long video of a channel that asks for Shorts is ready, its Short is cut (one
    job per long video; the job itself makes at most one Short of it)."""
    if not (channel.style_settings or {}).get("shorts"):
        return
    if video.format != VideoFormat.long or video.parent_video_id is not None:
        return
    enqueue_after_commit(
        session,
        connection,
        QueueName.production,
        MAKE_SHORT,
        str(video.id),
        job_id=f"short-{video.id}",
        job_timeout=SHORT_JOB_TIMEOUT_S,
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StageTimedOut):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:2000]


def _snapshot(video: Video, channel: Channel) -> VideoSnapshot:
    return VideoSnapshot(
        id=video.id,
        owner_id=channel.owner_id,
        channel_id=channel.id,
        topic=video.topic,
        title=video.title,
        script=video.script,
        channel_name=channel.name,
        niche=channel.niche,
        language=channel.language,
        format=channel.format.value,
        cadence_per_day=channel.cadence_per_day,
        quality_threshold=channel.quality_threshold,
        voice=dict(channel.voice_settings or {}),
        style=dict(channel.style_settings or {}),
        status=video.status.value,
        quality_score=video.quality_score,
    )
