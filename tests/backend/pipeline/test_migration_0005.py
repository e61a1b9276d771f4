"""Migration 0005: a stage's tries become a column, and the ledger has one provider spelling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth.service import create_user
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.models import Channel, CostEvent, StageRun, StageStatus, Video, VideoStage
from backend.settings import Settings
from tests.backend.conftest import pg_url
from tests.conftest import POSTGRES_DSN, require_postgres


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        built = create_engine(Settings(data_dir=tmp_path), pooled=False)
        yield built
        await built.dispose()
        return
    require_postgres()
    name = f"yte_mig5_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_DSN)
    await admin.execute(f"CREATE DATABASE {name}")
    built = create_engine(Settings(database_url=pg_url(name)), pooled=False)
    try:
        yield built
    finally:
        await built.dispose()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_tries_move_to_a_column_and_providers_get_one_spelling(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        user = await create_user(
            session, Settings(data_dir=tmp_path), email="m@example.com", password="long enough pw"
        )
        channel = Channel(owner_id=user.id, name="Migrations", niche="science")
        session.add(channel)
        await session.flush()
        video = Video(channel_id=channel.id, tags=[], quality_reasons=[])
        session.add(video)
        await session.flush()
        run = StageRun(
            video_id=video.id,
            stage=VideoStage.script,
            status=StageStatus.failed,
            attempts=2,
            tries=2,
            output={"words": 120},
        )
        session.add(run)
        for provider in ("x", "cpu:libx264", "gguf:smollm2-135m-instruct"):
            session.add(
                CostEvent(
                    channel_id=channel.id,
                    kind="text",
                    provider=provider,
                    units=1.0,
                    unit="tokens",
                    device_seconds=0.0,
                    amount_usd=Decimal("0"),
                )
            )
        await session.commit()
        run_id, channel_id = run.id, channel.id

    # As 0004 kept them: the tries inside the output, and the agents' model/backend spelling.
    await migrate.downgrade(engine, "0004")
    async with engine.begin() as conn:
        output = (await conn.execute(text("SELECT output FROM stage_runs"))).scalar_one()
        assert "_tries" in str(output)
        await conn.execute(
            text(
                "UPDATE cost_events SET provider = 'smollm2-135m-instruct/gguf' "
                "WHERE provider = 'x'"
            )
        )

    await migrate.upgrade(engine)
    async with sessions() as session:
        stored = await session.get(StageRun, run_id)
        assert stored is not None
        assert stored.tries == 2 and stored.output == {"words": 120}  # no "_tries" left
        providers = await session.scalars(
            select(CostEvent.provider).where(CostEvent.channel_id == channel_id)
        )
        # One model, one line: the old spelling was rewritten, the others left as they were.
        assert sorted(providers) == [
            "cpu:libx264",
            "gguf:smollm2-135m-instruct",
            "gguf:smollm2-135m-instruct",
        ]
