"""The recurring job: registered with its interval, and run by a real RQ worker process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.jobs.queues import QueueName, enqueue
from backend.jobs.worker import recurring_jobs
from backend.models import AutopilotTick
from backend.settings import Settings
from tests.backend.autopilot.conftest import channel_videos, make_channel, make_owner
from tests.backend.conftest import SECRET


def test_the_tick_is_a_recurring_job_at_its_interval(settings: Settings) -> None:
    jobs = {
        j.name: j
        for j in recurring_jobs(settings.model_copy(update={"autopilot_interval_seconds": 120}))
    }
    job = jobs["autopilot"]
    assert (job.func, job.queue, job.interval_s) == (
        "backend.autopilot.tasks.run_tick",
        QueueName.maintenance,
        120,
    )


async def test_a_real_worker_runs_the_tick_job(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, await make_owner(db, settings), cadence_per_day=1.0)
    enqueue(connection, QueueName.maintenance, "backend.autopilot.tasks.run_tick")
    env = {
        **os.environ,
        "YTE_DATABASE_URL": settings.resolved_database_url,
        "YTE_REDIS_URL": settings.redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(settings.data_dir),
    }
    cli = Path(sys.executable).with_name("ytempire")
    done = subprocess.run(
        [str(cli), "worker", "maintenance", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    videos = await channel_videos(db, channel.id)
    # 1 a day for the next 48 h at 15:00 UTC (1 when today's is inside the 30-minute lead)
    assert len(videos) in (1, 2) and all(v.publish_at is not None for v in videos)
    async with db() as session:
        record = await session.get(AutopilotTick, channel.id)
    assert record is not None and record.made == len(videos) and record.skip_code is None
