"""What the dashboard shows of backups: the newest archive and the last scheduled run,
read from the backup dir (sidecars and ``last-run.json``), never from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.backup.service import BackupInfo, list_backups
from backend.backup.tasks import read_state
from backend.settings import Settings


@dataclass(frozen=True)
class BackupSummary:
    directory: Path
    count: int
    last: BackupInfo | None
    last_run: dict[str, Any] | None  # the scheduled job's outcome; None: it has not run
    interval_s: int
    keep: int

    @property
    def last_at(self) -> datetime | None:
        if self.last is None:
            return None
        created = self.last.sidecar.get("created_at")
        return datetime.fromisoformat(created) if isinstance(created, str) else self.last.created_at

    @property
    def last_run_at(self) -> datetime | None:
        at = (self.last_run or {}).get("at")
        return datetime.fromisoformat(at) if isinstance(at, str) else None

    @property
    def every(self) -> str:
        """The interval in words: "24 h", "30 min"."""
        hours, rest = divmod(self.interval_s, 3600)
        return f"{hours} h" if hours and not rest else f"{self.interval_s // 60} min"

    @property
    def overdue(self) -> bool:
        """No archive newer than the interval plus two hours (the alert rule's 26 h daily)."""
        at = self.last_at
        limit = self.interval_s + 7200
        return at is None or (datetime.now(UTC) - at).total_seconds() > limit


def backup_summary(settings: Settings) -> BackupSummary:
    directory = settings.resolved_backup_dir
    backups = list_backups(directory)
    return BackupSummary(
        directory,
        len(backups),
        backups[0] if backups else None,
        read_state(directory),
        settings.backup_interval_seconds,
        settings.backup_keep,
    )
