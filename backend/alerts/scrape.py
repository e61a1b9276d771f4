"""The alerting gauges, refreshed when the API's ``/metrics`` is scraped (throttled and
time-boxed by ``observability.metrics.ScrapeRefresher``): free disk, stuck videos, open
alerts, and whether the database answers (``ytempire_database_up``, the appliance's
``pg_up``: no Postgres exporter runs in Compose)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.alerts import metrics as m
from backend.alerts.conditions import stuck_runs
from backend.alerts.service import open_alerts
from backend.db.base import utcnow
from backend.media.disk import usage
from backend.settings import Settings

DB_PROBE_S = 1.0


def refresh_disk(settings: Settings) -> None:
    disk = usage(settings.media_dir)
    m.DISK_FREE_RATIO.labels(path="media").set(disk.free_fraction)
    m.DISK_FREE_BYTES.labels(path="media").set(disk.free_bytes)


async def probe_database(sessions: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with asyncio.timeout(DB_PROBE_S), sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # down, refusing, or too slow: all the same to an alert
        m.DATABASE_UP.set(0)
        return False
    m.DATABASE_UP.set(1)
    return True


async def refresh_database_gauges(session: AsyncSession, settings: Settings) -> None:
    now = utcnow()
    m.VIDEOS_STUCK.set(len(await stuck_runs(session, settings, now)))
    counts: dict[str, int] = {}
    for event in await open_alerts(session):
        code = str(event.data.get("code", ""))
        counts[code] = counts.get(code, 0) + 1
    m.ALERTS_OPEN.clear()
    for code, count in counts.items():
        m.ALERTS_OPEN.labels(code=code).set(count)


async def refresh_gauges(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    refresh_disk(settings)
    if not await probe_database(sessions):
        return
    async with sessions() as session:
        await refresh_database_gauges(session, settings)
