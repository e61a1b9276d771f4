"""Unit of work: commit once at the end, then run what must only happen after commit.

Services call :func:`after_commit` to enqueue jobs or publish events; those callbacks
run only once the transaction has committed, so a worker never sees a row that a
rolled-back request never wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)

AfterCommit = Callable[[], Awaitable[None] | None]
_KEY = "after_commit"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    session.info.setdefault(_KEY, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit and then run the callbacks registered for this transaction."""
    await session.commit()
    callbacks: list[AfterCommit] = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            result = callback()
            if result is not None:
                await result
        except Exception:  # the data is committed; a lost notification must not fail the call
            log.exception("after_commit.failed", callback=getattr(callback, "__name__", "?"))


async def rollback(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)
    await session.rollback()


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that commits on success and rolls back on error."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await rollback(session)
            raise
        await commit(session)
