"""Backup gauges, set from the sidecar files of the backup dir (not from the database, so
they tell the truth after a restore and while the database is down).

- ``ytempire_backup_last_success_timestamp_seconds``: when the newest archive was made,
- ``ytempire_backup_last_size_bytes``: its size,
- ``ytempire_backup_last_verified``: 1 when it verified, 0 when it failed or was not checked.

The API refreshes them on a ``/metrics`` scrape (``ScrapeRefresher`` in ``backend.app``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from prometheus_client import Gauge

from backend.backup.service import list_backups

LAST_SUCCESS = Gauge(
    "ytempire_backup_last_success_timestamp_seconds",
    "Unix time of the newest backup archive (0: none)",
)
LAST_SIZE = Gauge("ytempire_backup_last_size_bytes", "Size of the newest backup archive")
LAST_VERIFIED = Gauge(
    "ytempire_backup_last_verified", "1 when the newest backup archive verified, else 0"
)


def refresh_gauges(directory: Path) -> None:
    backups = list_backups(directory)
    if not backups:
        LAST_SUCCESS.set(0)
        LAST_SIZE.set(0)
        LAST_VERIFIED.set(0)
        return
    newest = backups[0]
    created = newest.sidecar.get("created_at")
    at = datetime.fromisoformat(created) if isinstance(created, str) else newest.created_at
    LAST_SUCCESS.set(at.timestamp())
    LAST_SIZE.set(newest.size)
    LAST_VERIFIED.set(1 if newest.verified else 0)


async def refresh(directory: Path) -> None:
    """:func:`refresh_gauges` off the event loop (it reads the backup dir)."""
    await asyncio.to_thread(refresh_gauges, directory)
