"""YouTube Data API quota: units per Google Cloud project per Pacific-time day.

Google resets every project's quota at midnight Pacific time. Units are counted in the
database (one row per project and day, one conditional UPDATE per spend, so every worker
shares the count) *before* the call is sent; a call that does not fit waits for the reset
instead of failing. A ``quotaExceeded``/``uploadLimitExceeded`` answer from YouTube marks the
day spent and waits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.publishing import repository
from backend.publishing.clock import Clock, SystemClock
from backend.publishing.errors import QuotaWait
from backend.publishing.metrics import QUOTA_LEFT, QUOTA_LIMIT, QUOTA_SPENT, QUOTA_USED, QUOTA_WAITS

log = structlog.get_logger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")

# Units per call. Source: YouTube Data API v3 "Quota costs" table,
# https://developers.google.com/youtube/v3/determine_quota_cost (and the API revision
# history: videos.insert went from 1,600 to 100 units in December 2025).
COSTS: dict[str, int] = {
    "videos.insert": 100,
    "thumbnails.set": 50,
    "captions.insert": 400,
    "captions.list": 50,
    "channels.list": 1,
    "videos.list": 1,
}

QuotaMode = Literal["wait", "raise"]


def pacific_day(at: datetime) -> date:
    return at.astimezone(PACIFIC).date()


def next_reset(at: datetime) -> datetime:
    """The next Pacific midnight after ``at``, in UTC (DST handled by the zone database)."""
    tomorrow = pacific_day(at) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC).astimezone(UTC)


class QuotaLedger:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        project_id: str,
        daily_units: int,
        clock: Clock | None = None,
        mode: QuotaMode = "wait",
    ) -> None:
        self.sessions = sessions
        self.project_id = project_id
        self.daily_units = daily_units
        self.clock = clock or SystemClock()
        self.mode = mode

    async def try_spend(self, units: int) -> bool:
        day = pacific_day(self.clock.now())
        async with unit_of_work(self.sessions) as session:
            await repository.ensure_quota_day(session, self.project_id, day, self.daily_units)
            ok = await repository.spend_quota(
                session, self.project_id, day, units, self.daily_units
            )
        await self._publish_left(day)
        return ok

    async def spend(self, method: str) -> None:
        """Count the units of ``method`` before it is called; wait (or raise) if they don't fit."""
        units = COSTS[method]
        if units > self.daily_units:
            raise ValueError(
                f"{method} costs {units} units, more than the daily {self.daily_units}"
            )
        while not await self.try_spend(units):
            await self.wait_for_reset(f"{units} units for {method} do not fit in today's quota")
        QUOTA_SPENT.labels(method=method).inc(units)

    async def mark_exhausted(self) -> None:
        day = pacific_day(self.clock.now())
        async with unit_of_work(self.sessions) as session:
            await repository.ensure_quota_day(session, self.project_id, day, self.daily_units)
            await repository.mark_quota_exhausted(session, self.project_id, day)
        await self._publish_left(day)

    async def wait_for_reset(self, why: str) -> None:
        now = self.clock.now()
        reset = next_reset(now)
        QUOTA_WAITS.labels(project=self.project_id).inc()
        if self.mode == "raise":
            raise QuotaWait(
                f"YouTube quota: {why}; it resets at {reset.isoformat()}", resume_at=reset
            )
        log.info("youtube.quota.wait", project=self.project_id, why=why, until=reset.isoformat())
        # A few seconds past midnight: Google's reset is not to the millisecond.
        await self.clock.sleep((reset - now).total_seconds() + 5)

    async def used_today(self) -> tuple[int, bool]:
        async with self.sessions() as session:
            row = await repository.get_quota_day(
                session, self.project_id, pacific_day(self.clock.now())
            )
        return (row.units, row.exhausted) if row else (0, False)

    async def remaining(self) -> int:
        used, exhausted = await self.used_today()
        return 0 if exhausted else max(self.daily_units - used, 0)

    async def _publish_left(self, day: date) -> None:
        async with self.sessions() as session:
            row = await repository.get_quota_day(session, self.project_id, day)
        left = 0 if row is None or row.exhausted else max(self.daily_units - row.units, 0)
        if row is None:
            left = self.daily_units
        QUOTA_LEFT.labels(project=self.project_id).set(left)
        QUOTA_USED.labels(project=self.project_id).set(row.units if row else 0)
        QUOTA_LIMIT.labels(project=self.project_id).set(self.daily_units)


@dataclass(frozen=True)
class QuotaStatus:
    """Today's Data API units for the configured Google Cloud project (Pacific day)."""

    project_id: str | None  # None: no OAuth client is set yet
    day: date
    limit: int
    used: int
    exhausted: bool  # YouTube answered quotaExceeded today
    resets_at: datetime

    @property
    def left(self) -> int:
        return 0 if self.exhausted else max(self.limit - self.used, 0)


async def quota_status(
    session: AsyncSession, daily_units: int, now: datetime | None = None
) -> QuotaStatus:
    """Units used and left today; also sets the ``ytempire_youtube_quota_units_left``
    (``_used``, ``_limit``) gauges, so that ``/metrics`` shows them from the process that
    answers."""
    now = now or datetime.now(UTC)
    day = pacific_day(now)
    client = await repository.get_client(session)
    project = client.project_id if client is not None else None
    row = await repository.get_quota_day(session, project, day) if project else None
    status = QuotaStatus(
        project_id=project,
        day=day,
        limit=daily_units,
        used=row.units if row else 0,
        exhausted=bool(row and row.exhausted),
        resets_at=next_reset(now),
    )
    if project:
        QUOTA_LEFT.labels(project=project).set(status.left)
        QUOTA_USED.labels(project=project).set(status.used)
        QUOTA_LIMIT.labels(project=project).set(status.limit)
    return status
