"""Pipeline jobs: module-level functions RQ imports by path; they take IDs as strings."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from backend.db.session import unit_of_work
from backend.jobs.runtime import job_context, run_job
from backend.models import VideoStage
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
            return {"skipped": "another runner holds this stage"}
        with lease:
            return await StageRunner(ctx, video_id, stage).run()


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
