"""Autopilot benchmark: one tick over 5 owners x 5 channels with 50,000 videos on PostgreSQL.

Every channel has autopilot on (2 videos a day, a 2-day buffer, budgets that fit) and a
history: 2,000 videos each (published, with completed_at and three ledger lines apiece,
some ready or failed, two in production), and a month of past autopilot slots. Then:

1. the first tick, which fills every channel's buffer (4 videos each, 100 in all),
   enqueueing each video's first stage on a real Redis;
2. a second tick at the same moment: nothing to make (the steady state of every 5 minutes).

It prints the seconds of each and what they made. The database is made for the run and
dropped; the Redis database (YTE_BENCH_REDIS, default db 8) is flushed after.

    .venv/bin/python scripts/bench_autopilot.py [--owners 5] [--channels 5] [--videos 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from backend.autopilot.service import tick  # noqa: E402
from backend.db import migrate  # noqa: E402
from backend.db.engine import create_engine, create_sessionmaker  # noqa: E402
from backend.db.session import unit_of_work  # noqa: E402
from backend.models import (  # noqa: E402
    AutopilotSlot,
    Channel,
    CostEvent,
    User,
    UserRole,
    Video,
    VideoStatus,
)
from backend.observability.logging import configure_logging  # noqa: E402
from backend.pipeline.dispatch import PipelineDispatcher  # noqa: E402
from backend.settings import Settings  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
POSTGRES_DSN = os.environ.get("YTE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("YTE_BENCH_REDIS", "redis://127.0.0.1:6379/8")
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
BATCH = 5000


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _url(name: str) -> str:
    base = POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _bulk(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(model), rows[start : start + BATCH])


def _videos(channel_id: uuid.UUID, count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    videos, costs = [], []
    for i in range(count):
        done = NOW - timedelta(hours=6 * (count - i) + 12)
        status = VideoStatus.published
        if i % 50 == 0:
            status = VideoStatus.failed
        elif i >= count - 2:
            status = VideoStatus.running  # in production now
        elif i % 40 == 0:
            status = VideoStatus.ready
        video_id = uuid.uuid4()
        finished = status in (VideoStatus.published, VideoStatus.ready)
        videos.append(
            {
                "id": video_id,
                "channel_id": channel_id,
                "topic": f"topic {i}",
                "title": f"Video {i}",
                "status": status,
                "tags": [],
                "quality_reasons": [],
                "publish_holds": [],
                "completed_at": done if finished else None,
                "failed_at": done if status == VideoStatus.failed else None,
                "youtube_video_id": f"yt{i:09d}" if status == VideoStatus.published else None,
                "created_at": done - timedelta(hours=1),
                "updated_at": done,
            }
        )
        for stage, amount in (("script", "0.020"), ("voice", "0.010"), ("render", "0.005")):
            costs.append(
                {
                    "id": uuid.uuid4(),
                    "channel_id": channel_id,
                    "video_id": video_id,
                    "stage": stage,
                    "kind": "text",
                    "provider": "gguf:smollm2-135m-instruct",
                    "units": 100.0,
                    "unit": "tokens",
                    "device_seconds": 1.0,
                    "amount_usd": Decimal(amount),
                    "occurred_at": done - timedelta(minutes=30),
                }
            )
    return videos, costs


async def _seed(settings: Settings, owners: int, per_owner: int, videos: int) -> None:
    engine = create_engine(settings, pooled=False)
    sessions = create_sessionmaker(engine)
    channels = owners * per_owner
    per_channel = videos // channels
    started = time.perf_counter()
    async with unit_of_work(sessions) as session:
        for o in range(owners):
            user = User(
                id=uuid.uuid4(),
                email=f"owner{o}@bench.local",
                password_hash="x",
                role=UserRole.admin if o == 0 else UserRole.member,
            )
            session.add(user)
            await session.flush()
            for c in range(per_owner):
                channel = Channel(
                    id=uuid.uuid4(),
                    owner_id=user.id,
                    name=f"Channel {o}.{c}",
                    niche="budgeting for beginners",
                    autopilot=True,
                    cadence_per_day=2.0,
                    autopilot_buffer_days=2,
                    timezone=["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo"][c % 4],
                    daily_budget_usd=Decimal("20"),
                    monthly_budget_usd=Decimal("500"),
                )
                session.add(channel)
                await session.flush()
                rows, costs = _videos(channel.id, per_channel)
                await _bulk(session, Video, rows)
                await _bulk(session, CostEvent, costs)
                past = [
                    {
                        "id": uuid.uuid4(),
                        "channel_id": channel.id,
                        "slot_at": NOW - timedelta(hours=12 * k + 7),
                        "video_id": rows[-3 - k]["id"],
                        "videos_made": 1,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for k in range(60)
                ]
                await _bulk(session, AutopilotSlot, past)
    async with sessions() as session:
        total = await session.scalar(select(func.count(Video.id)))
        ledger = await session.scalar(select(func.count(CostEvent.id)))
    await engine.dispose()
    print(
        f"seeded {owners} owners x {per_owner} channels, {total} videos, {ledger} cost events "
        f"in {time.perf_counter() - started:.1f} s"
    )


async def _tick(settings: Settings, connection: redis.Redis, label: str) -> None:
    engine = create_engine(settings, pooled=False)
    try:
        started = time.perf_counter()
        report = await tick(
            create_sessionmaker(engine),
            connection,
            settings,
            PipelineDispatcher(connection),
            now=NOW,
        )
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    skipped = sorted({c.skip_code for c in report.channels if c.skip_code})
    print(
        f"{label}: {seconds:.3f} s for {len(report.channels)} channels, "
        f"{report.made} videos made, skips: {skipped or 'none'}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=5)
    parser.add_argument("--channels", type=int, default=5, help="per owner")
    parser.add_argument("--videos", type=int, default=50_000)
    args = parser.parse_args()
    configure_logging("WARNING")
    name = f"yte_bench_autopilot_{uuid.uuid4().hex[:8]}"
    await _admin(f"CREATE DATABASE {name}")
    connection = redis.Redis.from_url(REDIS_URL)
    settings = Settings(
        environment="test",
        database_url=_url(name),
        redis_url=REDIS_URL,
        secret_key=SECRET,
        data_dir=Path(tempfile.gettempdir()) / name,
        autopilot_daily_spend_cap_usd=1000.0,
        youtube_upload_quota=1_000_000,
    )
    try:
        engine = create_engine(settings, pooled=False)
        await migrate.upgrade(engine)
        await engine.dispose()
        await _seed(settings, args.owners, args.channels, args.videos)
        connection.flushdb()
        await _tick(settings, connection, "first tick (fills every buffer)")
        await _tick(settings, connection, "second tick (steady state)")
    finally:
        connection.flushdb()
        connection.close()
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    asyncio.run(main())
