"""Ticks at the same moment never make one slot's video twice: concurrent tasks with their
own engines and sessions (with and without the Redis lock), and two CLI processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.autopilot.service import tick
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import AutopilotSlot, Video
from backend.pipeline.dispatch import PipelineDispatcher
from backend.settings import Settings
from tests.backend.autopilot.conftest import NOW, make_channel, make_owner, slot_videos
from tests.backend.conftest import SECRET

CLI = str(Path(sys.executable).with_name("ytempire"))


async def _counts(db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID) -> tuple[int, int]:
    async with db() as session:
        videos = await session.scalar(
            select(func.count(Video.id)).where(Video.channel_id == channel_id)
        )
        slots = await session.scalar(
            select(func.count(func.distinct(Video.publish_at))).where(
                Video.channel_id == channel_id, Video.publish_at.is_not(None)
            )
        )
    return int(videos or 0), int(slots or 0)


@pytest.mark.parametrize("with_lock", [True, False], ids=["redis-lock", "no-lock"])
async def test_concurrent_ticks_with_separate_sessions_make_no_duplicates(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    with_lock: bool,
) -> None:
    owner = await make_owner(db, settings)
    channels = [await make_channel(db, owner, cadence_per_day=3.0) for _ in range(3)]
    engines = [create_engine(settings, pooled=False) for _ in range(4)]
    try:
        reports = await asyncio.gather(
            *(
                tick(
                    create_sessionmaker(engine),
                    connection if with_lock else None,
                    settings,
                    PipelineDispatcher(connection),
                    now=NOW,
                )
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    if with_lock:  # one tick held the lock; the others did nothing
        assert sum(not r.locked for r in reports) == 1
    for channel in channels:
        videos, slots = await _counts(db, channel.id)
        assert videos == slots == 6  # 3 a day for 2 days, each slot once
        rows = await slot_videos(db, channel.id)
        assert len(rows) == 6 and all(v is not None for _s, v in rows)
    assert sum(r.made for r in reports) == 18


async def test_a_second_row_for_one_slot_is_refused_by_the_database(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await make_channel(db, await make_owner(db, settings))
    async with unit_of_work(db) as session:
        session.add(AutopilotSlot(id=uuid.uuid4(), channel_id=channel.id, slot_at=NOW))
    with pytest.raises(IntegrityError):
        async with unit_of_work(db) as session:
            session.add(AutopilotSlot(id=uuid.uuid4(), channel_id=channel.id, slot_at=NOW))


def _cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "YTE_DATABASE_URL": settings.resolved_database_url,
        "YTE_REDIS_URL": settings.redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(settings.data_dir),
        **extra,
    }


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_cli_ticks_at_once_then_a_third_print_what_was_made(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    owner = await make_owner(db, settings)
    channel = await make_channel(db, owner, name="Budget Basics", cadence_per_day=4.0)
    env = _cli_env(settings)
    procs = [
        subprocess.Popen(
            [CLI, "autopilot", "tick"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    videos, slots = await _counts(db, channel.id)
    assert videos == slots and 7 <= videos <= 8  # 4 a day for the next 48 h, each once
    # one made them; the other found the lock held (exit 1) or nothing left to make
    assert codes in ([0, 0], [0, 1]), outputs
    made_lines = [out for out, _err in outputs if "Budget Basics" in out]
    assert made_lines and "video(s) queued" in made_lines[0]

    third = subprocess.run(
        [CLI, "autopilot", "tick"], env=env, capture_output=True, text=True, timeout=120
    )
    assert third.returncode == 0, third.stderr
    assert "Budget Basics" in third.stdout and "buffer full" in third.stdout
    assert "0 video(s) queued" in third.stdout
    assert await _counts(db, channel.id) == (videos, slots)


async def test_two_ticks_replacing_one_failed_slot_give_it_one_video(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    from backend.autopilot import repository

    channel = await make_channel(db, await make_owner(db, settings))
    async with unit_of_work(db) as session:
        session.add(AutopilotSlot(id=uuid.uuid4(), channel_id=channel.id, slot_at=NOW))
    first, second = uuid.uuid4(), uuid.uuid4()
    async with db() as a, db() as b:
        [(slot_a, _)] = await repository.slots_between(a, channel.id, NOW.replace(hour=0), NOW)
        [(slot_b, _)] = await repository.slots_between(b, channel.id, NOW.replace(hour=0), NOW)
        # both read the slot at videos_made 1; a gives it a video and commits first
        a.add(Video(id=first, channel_id=channel.id))
        await a.flush()
        assert await repository.claim_slot(a, slot_a, first)
        await a.commit()
        b.add(Video(id=second, channel_id=channel.id))
        await b.flush()
        assert not await repository.claim_slot(b, slot_b, second)  # its read is stale
        await b.rollback()
    [(slot, video)] = await slot_videos(db, channel.id)
    assert (slot.video_id, slot.videos_made) == (first, 2) and video is not None
