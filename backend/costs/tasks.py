"""The costs domain's background job: module-level, importable by path, taking IDs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog

from backend.costs.budget import check_budgets
from backend.db.session import unit_of_work
from backend.jobs.runtime import job_context

log = structlog.get_logger(__name__)


def watch_budgets(channel_id: str | None = None) -> dict[str, Any]:
    """Budget watcher job: alerts at 80 % and 100 %, pauses channels at 100 %."""
    return asyncio.run(_watch_budgets(uuid.UUID(channel_id) if channel_id else None))


async def _watch_budgets(channel_id: uuid.UUID | None) -> dict[str, Any]:
    async with job_context() as ctx, unit_of_work(ctx.sessions) as session:
        statuses = await check_budgets(session, ctx.redis, channel_id)
    summary = {
        "channels": len(statuses),
        "alerts": sum(len(s.alerts) for s in statuses),
        "paused": [str(s.channel_id) for s in statuses if s.paused],
    }
    log.info("budget.watch", **summary)
    return summary
