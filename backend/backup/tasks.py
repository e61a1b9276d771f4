"""The scheduled backup: create, verify, keep the newest ``YTE_BACKUP_KEEP``.

The scheduler enqueues :func:`scheduled_backup` every hour (RQ's default 180 s timeout);
when the newest archive is older than ``YTE_BACKUP_INTERVAL_SECONDS`` it enqueues
:func:`run_scheduled_backup` with a timeout fit for a whole backup and verify. Deciding
from the archives, not from the process's start, keeps the pace across restarts, and a
failed backup is tried again at the next check.
The outcome is kept in ``<backup dir>/last-run.json`` (and each archive's sidecar), not in
the database, so it survives a restore. A failure raises ``backup.failed`` for every
active administrator (the dashboard's alert list and toasts; once a day) and fails the job.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from backend.backup.service import create_backup, list_backups, prune, verify_backup
from backend.db.session import unit_of_work
from backend.events.bus import record_event
from backend.jobs.queues import QueueName, enqueue
from backend.jobs.runtime import job_context, run_job
from backend.models import User, UserRole
from backend.redis_client import sync_redis
from backend.settings import Settings, get_settings

log = structlog.get_logger(__name__)

STATE_FILE = "last-run.json"
JOB_ID = "ytempire-backup-run"
CHECK_INTERVAL_S = 3600  # how often the worker looks whether a backup is due
CHECK_SLACK_S = 300


def check_interval(settings: Settings) -> int:
    return min(CHECK_INTERVAL_S, settings.backup_interval_seconds)


def due(settings: Settings, now: datetime | None = None) -> bool:
    """A backup is due when the newest archive is older than the interval (less a check's
    slack), or there is none. Read from the backup dir, so a restarted worker keeps the pace."""
    backups = list_backups(settings.resolved_backup_dir)
    if not backups:
        return True
    age = ((now or datetime.now(UTC)) - backups[0].created_at).total_seconds()
    return age >= settings.backup_interval_seconds - CHECK_SLACK_S


def scheduled_backup() -> str | None:
    """Recurring entry point (every check interval): when a backup is due, hand it to a job
    allowed to run long enough; None when the newest archive is recent enough."""
    settings = get_settings()
    if not due(settings):
        return None
    connection = sync_redis(settings)
    try:
        return enqueue(
            connection,
            QueueName.maintenance,
            "backend.backup.tasks.run_scheduled_backup",
            job_id=JOB_ID,
            job_timeout=3 * settings.backup_timeout_seconds,
        )
    finally:
        connection.close()


def run_scheduled_backup() -> dict[str, Any]:
    return run_job(backup_once(get_settings()))


async def backup_once(settings: Settings) -> dict[str, Any]:
    directory = settings.resolved_backup_dir
    try:
        created = await create_backup(settings)
        verified = await verify_backup(settings, created.archive)
        removed = prune(directory, settings.backup_keep)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        write_state(directory, {"ok": False, "error": error})
        log.error("backup.failed", error=error)
        await alert_admins(settings, error)
        raise
    summary = {
        "ok": True,
        "archive": created.archive.name,
        "size": created.size,
        "create_seconds": round(created.seconds, 3),
        "verify_seconds": round(verified.seconds, 3),
        "removed": [p.name for p in removed],
        "error": None,
    }
    write_state(directory, summary)
    return summary


def write_state(directory: Path, state: dict[str, Any]) -> None:
    """Record the run's outcome; a backup dir that cannot be written is only logged."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temp = directory / f".{STATE_FILE}.partial"
        temp.write_text(json.dumps({"at": datetime.now(UTC).isoformat(), **state}, indent=1))
        os.replace(temp, directory / STATE_FILE)
    except OSError as exc:
        log.error("backup.state_unwritable", directory=str(directory), error=str(exc))


def read_state(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def alert_admins(settings: Settings, error: str) -> None:
    """``backup.failed`` for each active admin; a database that is down is only logged."""
    message = f"The scheduled backup failed: {error[:300]}"
    day = datetime.now(UTC).date().isoformat()  # one alert a day; the hourly retries log
    try:
        async with job_context(settings) as ctx, unit_of_work(ctx.sessions) as session:
            admins = await session.scalars(
                select(User.id).where(User.role == UserRole.admin, User.is_active.is_(True))
            )
            for admin_id in admins.all():
                await record_event(
                    session,
                    ctx.redis,
                    user_id=admin_id,
                    type="backup.failed",
                    message=message,
                    severity="error",
                    data={"backup_dir": str(settings.resolved_backup_dir)},
                    dedup_key=f"backup.failed:{admin_id}:{day}",
                )
    except Exception as exc:  # the alert must not hide the backup's own failure
        log.error("backup.alert_failed", error=f"{type(exc).__name__}: {exc}")
