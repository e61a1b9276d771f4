"""The newest backup, as the backup domain keeps it: archives and their sidecars in the
backup dir (not the database, so the truth survives a restore and a database outage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.backup.service import list_backups
from backend.settings import Settings


@dataclass(frozen=True, slots=True)
class BackupState:
    last_success_at: datetime | None  # when the newest archive was made; None: never
    verified: bool | None


def backup_state(settings: Settings) -> BackupState:
    backups = list_backups(settings.resolved_backup_dir)
    if not backups:
        return BackupState(None, None)
    newest = backups[0]
    created = newest.sidecar.get("created_at")
    at = datetime.fromisoformat(created) if isinstance(created, str) else newest.created_at
    return BackupState(at, newest.verified)
