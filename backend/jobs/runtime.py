"""What a job needs: settings, a fresh database engine and Redis, per job run.

RQ runs each job in a forked horse (or, embedded, in a worker thread) and async code
on a fresh event loop, so every job builds its own NullPool engine and disposes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine, create_sessionmaker
from backend.redis_client import sync_redis
from backend.settings import Settings, get_settings

T = TypeVar("T")


@dataclass
class JobContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    redis: redis.Redis


@asynccontextmanager
async def job_context(settings: Settings | None = None) -> AsyncIterator[JobContext]:
    settings = settings or get_settings()
    engine = create_engine(settings, pooled=False)
    connection = sync_redis(settings)
    try:
        yield JobContext(settings, create_sessionmaker(engine), connection)
    finally:
        await engine.dispose()
        connection.close()


def run_job(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` for a job, except that it does not wait for abandoned threads.

    A stage that timed out may leave a thread behind (an encode, a model call in
    ``asyncio.to_thread``); ``asyncio.run`` would wait for it at shutdown, holding the
    worker past the stage's limit. Here the job returns, and the thread ends on its own.
    """
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="job")
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(coro)
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=2.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            loop.close()
