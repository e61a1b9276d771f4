"""Engine and session factories, built in the app lifespan or per job, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from backend.settings import Settings

CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 10


def create_engine(settings: Settings, *, pooled: bool = True) -> AsyncEngine:
    """An async engine for the configured database.

    ``pooled=False`` gives a NullPool engine: RQ runs each async job on a fresh event
    loop, and pooled asyncpg connections must not outlive the loop that made them.
    """
    url = settings.resolved_database_url
    # Bound parameters (password hashes, tokens) never reach an error message or a log.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _private_sqlite_file(url)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # Bounded waits: connecting gives up after CONNECT_TIMEOUT_S (asyncpg waits 60 s).
        kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT_S}
    if pooled and not url.startswith("sqlite"):
        # Sized for a dashboard's worth of concurrent requests. Each checkout is pinged
        # (one loopback round trip), so connections broken by a database restart or a
        # terminated backend are replaced before a request sees them; a request waits at
        # most POOL_TIMEOUT_S for a free connection.
        kwargs.update(
            pool_size=30,
            max_overflow=40,
            pool_recycle=1800,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT_S,
        )
    if not pooled:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _private_sqlite_file(url: str) -> None:
    """The database holds password hashes: create it readable by its owner only (0600)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
