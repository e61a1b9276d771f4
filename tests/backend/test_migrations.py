from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import inspect

from backend.db import migrate
from backend.db.base import Base
from backend.db.engine import create_engine
from backend.settings import Settings
from tests.backend.conftest import pg_url
from tests.conftest import POSTGRES_DSN, require_postgres

TABLES = {
    "users",
    "refresh_tokens",
    "channels",
    "videos",
    "stage_runs",
    "cost_events",
    "channel_daily_metrics",
    "niches",
    "trends",
    "watchlist_entries",
    "events",
    # publishing (migration 0004)
    "youtube_oauth_clients",
    "youtube_credentials",
    "youtube_authorizations",
    "upload_sessions",
    "quota_usage",
    # autopilot (migration 0008)
    "autopilot_slots",
    "autopilot_ticks",
    # analytics sync (migration 0007)
    "video_daily_metrics",
    "video_stat_snapshots",
}


async def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings, pooled=False)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _round_trip(settings: Settings) -> None:
    engine = create_engine(settings, pooled=False)
    assert await migrate.current_revision(engine) is None
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    await engine.dispose()
    assert await _tables(settings) == TABLES == set(Base.metadata.tables)

    engine = create_engine(settings, pooled=False)
    await migrate.downgrade(engine, "base")
    assert await migrate.current_revision(engine) is None
    await engine.dispose()
    assert await _tables(settings) == set()

    engine = create_engine(settings, pooled=False)
    await migrate.upgrade(engine)  # and up again
    await engine.dispose()
    assert await _tables(settings) == TABLES


async def test_upgrade_and_downgrade_on_a_fresh_postgres_database() -> None:
    require_postgres()
    name = f"yte_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_DSN)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        await _round_trip(Settings(database_url=pg_url(name)))
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_upgrade_and_downgrade_on_sqlite(tmp_path: Path) -> None:
    await _round_trip(Settings(data_dir=tmp_path))


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_schema_matches_the_models(tmp_path: Path, database: str) -> None:
    """Autogenerate finds nothing to add: the migrations and the models agree, on both."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    name = f"yte_schema_{uuid.uuid4().hex[:10]}"
    if database == "postgres":
        require_postgres()
        admin = await asyncpg.connect(POSTGRES_DSN)
        await admin.execute(f"CREATE DATABASE {name}")
        settings = Settings(database_url=pg_url(name))
    else:
        settings = Settings(data_dir=tmp_path)
    try:
        engine = create_engine(settings, pooled=False)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        await engine.dispose()
    finally:
        if database == "postgres":
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()
    assert diff == []
