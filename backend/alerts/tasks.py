"""The alert watcher job (recurring ``alert-watch``) and the test send.

Each run checks the conditions, records what newly fires and what cleared in one
transaction, and after the commit delivers those changes on the configured channels
(webhook, e-mail). A delivery that still fails after its bounded tries is logged and
counted; the alert stays on the dashboard either way.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import redis
from sqlalchemy.ext.asyncio import AsyncSession

from backend.alerts.conditions import evaluate
from backend.alerts.delivery import DeliveryResult, Notice, configured, deliver, test_notice
from backend.alerts.service import ALERT, admin_ids, apply
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.events.bus import record_event
from backend.jobs.runtime import JobContext, job_context, run_job
from backend.settings import Settings

NO_CHANNEL = (
    "no delivery channel is configured: set YTE_ALERT_WEBHOOK_URL, or YTE_ALERT_SMTP_HOST "
    "and YTE_ALERT_SMTP_TO"
)


def watch() -> dict[str, Any]:
    """Recurring job: check, raise and resolve alerts, deliver the changes."""

    async def _run() -> dict[str, Any]:
        async with job_context() as ctx:
            return await watch_once(ctx)

    return run_job(_run())


async def watch_once(ctx: JobContext, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    async with unit_of_work(ctx.sessions) as session:
        evaluation = await evaluate(session, ctx.redis, ctx.settings, now)
        changes = await apply(session, ctx.redis, evaluation, now)
    notices = [
        Notice(a.code, "firing", a.severity, a.message, a.subject, now.isoformat(), a.data)
        for a in changes.opened
    ] + [
        Notice(
            str(e.data.get("code")),
            "resolved",
            "info",
            e.message,
            str(e.data.get("subject", "")),
            now.isoformat(),
        )
        for e in changes.resolved
    ]
    results = await asyncio.to_thread(deliver, ctx.settings, notices)
    return {
        "firing": len(evaluation.firing),
        "opened": [a.code for a in changes.opened],
        "resolved": [str(e.data.get("code")) for e in changes.resolved],
        "check_errors": evaluation.errors,
        "deliveries": [f"{r.channel}: {'ok' if r.ok else 'failed'} ({r.detail})" for r in results],
    }


async def send_test(
    session: AsyncSession,
    connection: redis.Redis | None,
    settings: Settings,
    user_ids: list[uuid.UUID] | None = None,
) -> list[DeliveryResult]:
    """A test alert: on the dashboard of ``user_ids`` (default: the admins) and on every
    configured channel; a result per channel says whether it arrived or why not."""
    notice = test_notice()
    for user_id in user_ids if user_ids is not None else await admin_ids(session):
        await record_event(
            session,
            connection,
            user_id=user_id,
            type=ALERT,
            severity="info",
            message=notice.message,
            data={"code": "test", "subject": "test"},
        )
    if not configured(settings):
        return [DeliveryResult("none", False, NO_CHANNEL, 0)]
    return await asyncio.to_thread(deliver, settings, [notice])
