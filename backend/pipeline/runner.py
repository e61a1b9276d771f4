"""Runs one stage of one video, durably.

1. Under the stage's lease, check the video still wants this stage (not cancelled, this
   is its first unfinished stage, the channel may spend) and mark the run started.
2. Run the step; transient errors retry with backoff.
3. In one transaction record the outputs, artifacts, cost events and timings, then
   (after commit) enqueue the next stage or finish the video.
A crash anywhere loses at most this stage: the run stays `running` without a lease and
the reconciler enqueues it again; finished stages are never re-run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import openai
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.crisis_manager import CrisisManager
from backend.costs.service import record_cost
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.events.bus import record_event
from backend.jobs.runtime import JobContext
from backend.models import Channel, StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.pipeline.context import StageContext, StepResult, VideoSnapshot
from backend.pipeline.dispatch import dispatch_after_commit, first_unfinished, stage_runs
from backend.pipeline.stages import next_stage, overall_progress
from backend.pipeline.steps import STEPS
from backend.videos import state

log = structlog.get_logger(__name__)

TRANSIENT = (
    TimeoutError,
    ConnectionError,
    httpx.TransportError,
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.RateLimitError,
    openai.InternalServerError,
)
MAX_TRANSIENT_RETRIES = 3
BACKOFF_S = (2.0, 5.0, 15.0)
crisis = CrisisManager()


class StageRunner:
    def __init__(self, ctx: JobContext, video_id: uuid.UUID, stage: VideoStage) -> None:
        self.ctx = ctx
        self.video_id = video_id
        self.stage = stage

    async def run(self) -> dict[str, Any]:
        stage_ctx = await self._start()
        if isinstance(stage_ctx, dict):
            return stage_ctx
        started = time.perf_counter()
        try:
            result = await self._execute(stage_ctx)
        except Exception as exc:
            await self._fail(exc, time.perf_counter() - started)
            raise
        finally:
            await stage_ctx.close()
        return await self._finish(result, time.perf_counter() - started)

    async def _start(self) -> StageContext | dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            session.info["redis"] = self.ctx.redis
            video = await session.get(Video, self.video_id)
            if video is None:
                return {"skipped": "video gone"}
            if video.status not in (VideoStatus.queued, VideoStatus.running):
                log.info("stage.skipped", video_id=str(video.id), status=video.status.value)
                return {"skipped": f"video is {video.status.value}"}
            nxt = await first_unfinished(session, video.id)
            if nxt is None or nxt[0] != self.stage:
                if nxt is not None:
                    dispatch_after_commit(session, self.ctx.redis, video.id, *nxt)
                return {"skipped": "not the next stage"}
            channel = await session.get(Channel, video.channel_id)
            assert channel is not None
            verdict = await crisis.before_work(session, self.ctx.redis, channel)
            if not verdict.proceed:
                log.info("stage.held", video_id=str(video.id), reason=verdict.reason)
                return {"held": verdict.reason}
            if video.status == VideoStatus.queued:
                await state.transition(session, video, VideoStatus.running)
            runs = await stage_runs(session, video.id)
            run = runs.get(self.stage) or StageRun(
                id=uuid.uuid4(),
                video_id=video.id,
                stage=self.stage,
                attempts=0,
                artifacts={},
                output={},
            )
            session.add(run)
            run.status = StageStatus.running
            run.attempts += 1
            run.started_at = utcnow()
            run.finished_at = None
            run.error = None
            video.stage = self.stage
            video.stage_progress = overall_progress(self.stage, 0.0)
            await session.flush()
            snapshot = _snapshot(video, channel)
            outputs = {s: r.output for s, r in runs.items() if r.status == StageStatus.succeeded}
            artifacts = {
                s: r.artifacts for s, r in runs.items() if r.status == StageStatus.succeeded
            }
            if self.stage in runs:  # quality history and the like survive a re-run
                outputs.setdefault(self.stage, runs[self.stage].output)
        stage_ctx = StageContext(
            settings=self.ctx.settings,
            sessions=self.ctx.sessions,
            redis=self.ctx.redis,
            video=snapshot,
            stage=self.stage,
            outputs=outputs,
            artifacts=artifacts,
        )
        stage_ctx.progress(0.0)
        log.info("stage.started", video_id=str(self.video_id), stage=self.stage.value)
        return stage_ctx

    async def _execute(self, stage_ctx: StageContext) -> StepResult:
        step = STEPS[self.stage]
        for attempt in range(MAX_TRANSIENT_RETRIES + 1):
            try:
                result: StepResult = await step(stage_ctx)
                return result
            except TRANSIENT as exc:
                if attempt == MAX_TRANSIENT_RETRIES:
                    raise
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                log.warning(
                    "stage.transient_error", stage=self.stage.value, error=repr(exc), retry_in=delay
                )
                await self._note_retry(repr(exc))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _note_retry(self, error: str) -> None:
        async with unit_of_work(self.ctx.sessions) as session:
            run = (await stage_runs(session, self.video_id))[self.stage]
            run.attempts += 1
            run.error = f"retrying after: {error}"[:2000]

    async def _finish(self, result: StepResult, seconds: float) -> dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            session.info["redis"] = self.ctx.redis
            video = await session.get(Video, self.video_id)
            channel = await session.get(Channel, video.channel_id) if video else None
            assert video is not None and channel is not None
            runs = await stage_runs(session, video.id)
            run = runs[self.stage]
            run.finished_at = utcnow()
            run.duration_s = round(seconds, 3)
            run.device_seconds = result.device_seconds
            run.cost_usd = Decimal(str(result.cost_usd))
            run.output = result.output
            run.artifacts = result.artifacts
            run.error = None
            for charge in result.charges:
                await record_cost(
                    session,
                    self.ctx.redis,
                    channel_id=channel.id,
                    video_id=video.id,
                    stage=self.stage.value,
                    kind=charge.kind,
                    provider=charge.provider,
                    units=charge.units,
                    unit=charge.unit,
                    device_seconds=charge.device_seconds,
                    amount_usd=charge.cost_usd,
                )
            for key, value in result.video_updates.items():
                setattr(video, key, value)
            outcome = await self._advance(session, video, channel, run, runs, result)
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
                )
            return "regenerate"
        if result.decision == "hold":
            run.status = StageStatus.pending
            runs[VideoStage.script].status = StageStatus.pending
            if not cancelled:
                await state.transition(
                    session, video, VideoStatus.needs_review, quality_reasons=result.hold_reasons
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
                session, self.ctx.redis, video.id, nxt, later.attempts if later else 0
            )
            return "next"
        await state.transition(session, video, VideoStatus.ready, stage_progress=1.0)
        crisis.on_success(channel)
        await self._video_event(
            session,
            video,
            channel,
            "video.completed",
            f"{video.title or video.topic}: ready",
            {"title": video.title},
        )
        return "ready"

    async def _video_event(
        self,
        session: AsyncSession,
        video: Video,
        channel: Channel,
        type: str,
        message: str,
        data: dict[str, Any],
        severity: str = "info",
    ) -> None:
        await record_event(
            session,
            self.ctx.redis,
            user_id=channel.owner_id,
            channel_id=channel.id,
            video_id=video.id,
            type=type,
            severity=severity,
            message=message,
            data=data,
        )

    async def _fail(self, exc: BaseException, seconds: float) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.error("stage.failed", video_id=str(self.video_id), stage=self.stage.value, error=error)
        async with unit_of_work(self.ctx.sessions) as session:
            video = await session.get(Video, self.video_id)
            if video is None:
                return
            channel = await session.get(Channel, video.channel_id)
            run = (await stage_runs(session, video.id))[self.stage]
            run.status = StageStatus.failed
            run.error = error
            run.finished_at = utcnow()
            run.duration_s = round(seconds, 3)
            if video.status != VideoStatus.running or channel is None:
                return
            await state.transition(
                session, video, VideoStatus.failed, error=f"{self.stage.value}: {error}"
            )
            await self._video_event(
                session,
                video,
                channel,
                "video.failed",
                f"{video.title or video.topic or 'video'} failed at {self.stage.value}",
                {"stage": self.stage.value, "error": error},
                severity="error",
            )
            await crisis.on_failure(session, self.ctx.redis, channel, error)


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
    )
