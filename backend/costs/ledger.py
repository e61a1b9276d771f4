"""Charges recorded the moment a call is served, each in its own short transaction.

A stage attempt may time out, be superseded by another runner, or lose its worker to a
SIGKILL at any point; the calls it was served by then still cost something. So a charge
is not held until the stage finishes: :meth:`Ledger.record` writes it at once, keyed by
the charge's own key, so that a retried write never counts twice.

A write that fails (the database is briefly away) is retried a bounded number of times;
a charge still unwritten after that stays in :attr:`Ledger.unrecorded`, and the stage
runner writes it with the stage's outcome (same key: still at most once). A write in
flight when its caller is cancelled (the stage's time limit) goes on to the end: the
runner waits for it in :meth:`Ledger.settle` before it records the outcome.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import redis
import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.service import Charge, record_charge
from backend.db.session import unit_of_work

log = structlog.get_logger(__name__)

RETRY_S: tuple[float, ...] = (0.2, 1.0, 3.0)  # waits between the tries of one write
SETTLE_S = 15.0  # how long settle() waits for writes still in flight
_DB_DOWN = (OperationalError, DBAPIError, OSError)


class Ledger:
    """Writes one video stage's charges as they are served (see the module docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connection: redis.Redis | None,
        *,
        channel_id: uuid.UUID,
        video_id: uuid.UUID | None = None,
        stage: str | None = None,
        retry_s: Sequence[float] = RETRY_S,
    ) -> None:
        self._sessions = sessions
        self._redis = connection
        self.channel_id = channel_id
        self.video_id = video_id
        self.stage = stage
        self._retry_s = tuple(retry_s)
        self._inflight: set[asyncio.Task[bool]] = set()
        self.recorded: list[Charge] = []  # written by this ledger, in order
        self.unrecorded: list[Charge] = []  # every try failed: the runner writes these

    async def record(self, charge: Charge) -> Charge:
        """Write ``charge`` now; returns it. Cancelling the caller does not stop the write."""
        task = asyncio.ensure_future(self._write(charge))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        await asyncio.shield(task)
        return charge

    async def _write(self, charge: Charge) -> bool:
        for attempt, wait_s in enumerate((*self._retry_s, None), start=1):
            try:
                async with unit_of_work(self._sessions) as session:
                    await self.write_into(session, charge)
            except _DB_DOWN as exc:
                if wait_s is None:
                    log.error(
                        "ledger.write_failed",
                        kind=charge.kind,
                        key=str(charge.key),
                        tries=attempt,
                        error=repr(exc)[:300],
                    )
                    self.unrecorded.append(charge)
                    return False
                await asyncio.sleep(wait_s)
            else:
                self.recorded.append(charge)
                return True
        return False  # not reached: the last try returns either way

    async def write_into(self, session: AsyncSession, charge: Charge) -> bool:
        """Write ``charge`` in the caller's transaction (at most once, by its key)."""
        return await record_charge(
            session,
            self._redis,
            charge,
            channel_id=self.channel_id,
            video_id=self.video_id,
            stage=self.stage,
        )

    async def settle(self, timeout_s: float = SETTLE_S) -> list[Charge]:
        """Wait for the writes in flight; returns the charges no try could write."""
        pending = set(self._inflight)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            if late:
                log.error("ledger.settle_timed_out", writes=len(late), waited_s=timeout_s)
        return list(self.unrecorded)

    async def write_unrecorded(self, session: AsyncSession) -> int:
        """Write the charges every try missed, in the caller's transaction; returns how many."""
        written = 0
        for charge in self.unrecorded:
            await self.write_into(session, charge)
            written += 1
        return written
