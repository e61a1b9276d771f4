"""RQ jobs of niche discovery (module-level, taking ids as strings)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import structlog

from backend.db.session import unit_of_work
from backend.jobs.runtime import job_context
from backend.niches.discovery.service import analyze_niche as _analyze
from backend.niches.discovery.service import discover
from backend.niches.discovery.sources.factory import build_sources
from backend.observability.metrics import (
    DISCOVERY_NEW_NICHES,
    DISCOVERY_RUN_SECONDS,
    DISCOVERY_RUNS,
    DISCOVERY_TOPICS,
)

log = structlog.get_logger(__name__)


def analyze_niche(niche_id: str) -> dict[str, Any]:
    """``POST /api/v1/niches/analyze``: score one niche now; returns its id and score."""
    return asyncio.run(_analyze_job(uuid.UUID(niche_id)))


async def _analyze_job(niche_id: uuid.UUID) -> dict[str, Any]:
    async with job_context() as ctx, unit_of_work(ctx.sessions) as session:
        sources = build_sources(ctx.settings, ctx.redis)
        analysis = await _analyze(session, ctx.redis, ctx.settings, sources, niche_id)
    return {
        "niche_id": str(niche_id),
        "score": analysis.score.total,
        "sources": analysis.evidence.status,
    }


def run_daily_discovery() -> dict[str, Any]:
    """The daily discovery job (scheduled by the worker's periodic scheduler)."""
    return asyncio.run(_daily())


async def _daily() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with job_context() as ctx:
            report = await discover(
                ctx.sessions, ctx.redis, ctx.settings, build_sources(ctx.settings, ctx.redis)
            )
    except BaseException:
        DISCOVERY_RUNS.labels(outcome="failed").inc()
        raise
    finally:
        DISCOVERY_RUN_SECONDS.observe(time.perf_counter() - started)
    DISCOVERY_RUNS.labels(outcome="ok").inc()
    DISCOVERY_NEW_NICHES.inc(len(report.new_niches))
    DISCOVERY_TOPICS.inc(report.topics)
    return report.as_dict()
