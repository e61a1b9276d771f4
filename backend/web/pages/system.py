"""System (admins only): RQ queues and workers, the AI gateway's models with the reason
an unavailable one cannot run here, memory, the last backup, recent alerts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
import structlog
from fastapi import Request, Response
from rq import Queue, Worker

from backend.alerts import panel as alert_panel
from backend.alerts.tasks import send_test
from backend.backup.status import backup_summary
from backend.deps import SessionDep, SettingsDep
from backend.jobs.queues import ALL_QUEUES
from backend.publishing.quota import quota_status
from backend.settings import Settings
from backend.web import repository
from backend.web.deps import Csrf
from backend.web.pages.admin import AdminPageUser
from backend.web.pages.common import quota_context
from backend.web.routing import page_router, redirect
from backend.web.templating import render

log = structlog.get_logger(__name__)
router = page_router()

MODELS_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class QueueRow:
    name: str
    waiting: int
    started: int
    failed: int
    scheduled: int


@dataclass(frozen=True)
class WorkerRow:
    name: str
    state: str
    queues: list[str]
    current_job: str | None
    heartbeat: datetime | None
    successful: int
    failed: int


def rq_snapshot(connection: redis.Redis) -> tuple[list[QueueRow], list[WorkerRow]]:
    queues = []
    for name in ALL_QUEUES:
        q = Queue(name.value, connection=connection)
        queues.append(
            QueueRow(
                name=name.value,
                waiting=q.count,
                started=q.started_job_registry.count,
                failed=q.failed_job_registry.count,
                scheduled=q.scheduled_job_registry.count,
            )
        )
    workers = []
    for w in Worker.all(connection=connection):
        job_id = w.get_current_job_id()
        workers.append(
            WorkerRow(
                name=w.name,
                state=str(w.get_state()),
                queues=w.queue_names(),
                current_job=job_id if isinstance(job_id, str) else None,
                heartbeat=w.last_heartbeat,
                successful=w.successful_job_count,
                failed=w.failed_job_count,
            )
        )
    return queues, workers


async def gateway_models(settings: Settings) -> tuple[list[dict[str, Any]], str | None]:
    """The gateway's model list, or an explanation of why it could not be read."""
    from ai.client import make_openai_client

    client = make_openai_client(settings, timeout=MODELS_TIMEOUT_S)
    try:
        async with asyncio.timeout(MODELS_TIMEOUT_S):
            page = await client.models.list()
        return [m.model_dump() for m in page.data], None
    except Exception as exc:  # the page still shows queues and alerts without the gateway
        log.warning("web.system.models_unavailable", error=repr(exc))
        return [], f"The AI gateway did not answer ({type(exc).__name__})."
    finally:
        await client.close()


@router.get("/system")
async def system_page(
    request: Request, user: AdminPageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    connection: redis.Redis = request.app.state.redis.sync
    rq_task = asyncio.to_thread(rq_snapshot, connection)
    (queues, workers), (models, models_error) = await asyncio.gather(
        rq_task, gateway_models(settings)
    )
    loaded_bytes = sum(int(m.get("memory_bytes") or 0) for m in models)
    events = await repository.recent_events(session, user.id, limit=20)
    backup = await asyncio.to_thread(backup_summary, settings)
    return render(
        request,
        "system.html",
        {
            "queues": queues,
            "workers": workers,
            "embedded_worker": request.app.state.worker is not None,
            "models": models,
            "models_error": models_error,
            "loaded_gb": loaded_bytes / 1024**3,
            "events": events,
            "backup": backup,
            "mode": "embedded" if settings.embedded else "compose",
            "database": "SQLite" if settings.is_sqlite else "PostgreSQL",
            **quota_context(await quota_status(session, settings.youtube_upload_quota)),
            "alerting": await alert_panel.panel(session, connection, settings, user.id),
        },
        user=user,
        section="system",
    )


@router.post("/system/alerts/test", dependencies=[Csrf])
async def send_test_alert(
    request: Request, user: AdminPageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """A test alert to this admin's dashboard and every delivery channel; the page shows how
    each went (the results wait in Redis for the redirect)."""
    connection: redis.Redis = request.app.state.redis.sync
    results = await send_test(session, connection, settings, [user.id])
    alert_panel.store_test(connection, user.id, results)
    return redirect("/system#alerting")
