"""Pipeline jobs: module-level functions RQ imports by path; they take IDs as strings."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from backend.db.session import unit_of_work
from backend.jobs.runtime import job_context, run_job
from backend.models import VideoStage
from backend.observability.metrics import STAGE_DURATION, STAGE_RUNS, VIDEOS
from backend.pipeline.dispatch import reconcile as reconcile_videos
from backend.pipeline.lease import StageLease
from backend.pipeline.runner import StageRunner
from backend.pipeline.upload import run_upload as upload_try
from backend.publishing.clock import Clock
from backend.settings import Settings


def run_stage(video_id: str, stage: str) -> dict[str, Any]:
    """Run one stage of one video (keyed by video and stage; a second runner backs off)."""
    return run_job(_run_stage(uuid.UUID(video_id), VideoStage(stage)))


async def _run_stage(video_id: uuid.UUID, stage: VideoStage) -> dict[str, Any]:
    async with job_context() as ctx:
        lease = StageLease(ctx.redis, video_id, stage, ttl_s=ctx.settings.stage_lease_seconds)
        if not lease.acquire():
            STAGE_RUNS.labels(stage=stage.value, outcome="skipped").inc()
            return {"skipped": "another runner holds this stage"}
        with lease:
            started = time.perf_counter()
            try:
                result = await StageRunner(ctx, video_id, stage).run()
            except BaseException:  # the runner recorded the failure; the job fails with it
                _observe(stage, "failed", time.perf_counter() - started)
                raise
            outcome = stage_outcome(result)
            ran = "outcome" in result  # the step ran (not skipped, held or refused at start)
            _observe(stage, outcome, time.perf_counter() - started if ran else None)
            if result.get("outcome") == "ready":
                VIDEOS.labels(outcome="ready").inc()
            return result


def stage_outcome(result: dict[str, Any]) -> str:
    """The ``ytempire_stage_runs_total`` outcome of what :meth:`StageRunner.run` returned."""
    if "outcome" in result:
        outcome = str(result["outcome"])
        if outcome in ("next", "ready"):
            return "succeeded"
        return "stopped" if outcome.startswith("stopped") else outcome
    if "held" in result:
        return "held"
    return "failed" if "failed" in result else "skipped"


def _observe(stage: VideoStage, outcome: str, seconds: float | None) -> None:
    STAGE_RUNS.labels(stage=stage.value, outcome=outcome).inc()
    if seconds is not None:
        STAGE_DURATION.labels(stage=stage.value).observe(seconds)


def run_upload(video_id: str) -> dict[str, Any]:
    """One try of the upload stage of one video, on the publishing queue (see
    backend/pipeline/upload.py); a second runner backs off."""
    return run_job(_run_upload(uuid.UUID(video_id)))


async def _run_upload(
    video_id: uuid.UUID,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    chunk_bytes: int | None = None,
) -> dict[str, Any]:
    async with job_context(settings) as ctx:
        return await upload_try(ctx, video_id, clock=clock, chunk_bytes=chunk_bytes)


def reconcile() -> list[str]:
    """Re-enqueue the next stage of open videos that have no live job."""
    return asyncio.run(_reconcile())


async def _reconcile() -> list[str]:
    async with job_context() as ctx, unit_of_work(ctx.sessions) as session:
        return await reconcile_videos(session, ctx.redis, ctx.settings)
