"""The newest backup, as the backup domain keeps it: archives and their sidecars in the
backup dir (not the database, so the truth survives a restore and a database outage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.backup.service import list_backups
from backend.backup.tasks import read_state
from backend.settings import Settings


@dataclass(frozen=True, slots=True)
class BackupState:
    last_success_at: datetime | None  # when the newest archive was made; None: never
    verified: bool | None
    # the scheduled backup's last run, when it failed: its error (None: it worked, or none ran)
    last_run_error: str | None = None


def backup_state(settings: Settings) -> BackupState:
    directory = settings.resolved_backup_dir
    run = read_state(directory) or {}
    error = None if run.get("ok", True) else str(run.get("error") or "unknown error")
    backups = list_backups(directory)
    if not backups:
        return BackupState(None, None, error)
    newest = backups[0]
    created = newest.sidecar.get("created_at")
    at = datetime.fromisoformat(created) if isinstance(created, str) else newest.created_at
    return BackupState(at, newest.verified, error)
