"""What a job needs: settings, a fresh database engine and Redis, per job run.

RQ runs each job in a forked horse (or, embedded, in a worker thread) and async code
on a fresh event loop, so every job builds its own NullPool engine and disposes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine, create_sessionmaker
from backend.redis_client import sync_redis
from backend.settings import Settings, get_settings


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
