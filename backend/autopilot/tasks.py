"""The autopilot's recurring job: module-level, importable by path, no arguments."""

from __future__ import annotations

from typing import Any

import structlog

from backend.autopilot.service import tick
from backend.jobs.runtime import job_context, run_job
from backend.pipeline.dispatch import PipelineDispatcher

log = structlog.get_logger(__name__)


def run_tick() -> dict[str, Any]:
    """One autopilot tick (``recurring_jobs`` enqueues it every YTE_AUTOPILOT_INTERVAL_SECONDS)."""
    return run_job(_run_tick())


async def _run_tick() -> dict[str, Any]:
    async with job_context() as ctx:
        report = await tick(ctx.sessions, ctx.redis, ctx.settings, PipelineDispatcher(ctx.redis))
    return {
        "locked": report.locked,
        "made": report.made,
        "channels": {
            str(c.channel_id): {"made": len(c.made), "skip": c.skip_code} for c in report.channels
        },
    }
