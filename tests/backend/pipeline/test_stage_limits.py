"""Stage time limits and the try cap on a real forking RQ worker over Redis and Postgres.

The slow stage is the real topic stage made slow by ``YTE_STAGE_DELAY_SECONDS`` (read by
the runner in the worker's horse), not a patched code path.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
import redis
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import StageStatus, VideoStage, VideoStatus
from backend.settings import Settings
from tests.backend.pipeline.conftest import (
    WorkerProcess,
    descendants,
    events_of,
    make_channel,
    runs_of,
    wait_for,
)
from tests.backend.pipeline.test_pipeline import queue_video

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _failed(video, runs) -> bool:  # type: ignore[no-untyped-def]
    return video.status == VideoStatus.failed


@POSTGRES
async def test_a_stage_past_its_limit_fails_after_max_attempts_on_a_worker(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await make_channel(db, settings)
    video_id = await queue_video(db, connection, channel, topic="Why tides rise twice a day")
    env = {"YTE_TOPIC_TIMEOUT_SECONDS": "1", "YTE_STAGE_DELAY_SECONDS": "topic=60"}
    workers.append(WorkerProcess(settings, tmp_path / "worker.log", **env))
    started = time.monotonic()
    video = await wait_for(db, video_id, _failed, timeout_s=90)
    assert time.monotonic() - started < 60  # three 1 s tries, not RQ's 180 s or forever
    reason = "timed out after 1 s (YTE_TOPIC_TIMEOUT_SECONDS)"
    assert video.error == f"topic failed after 3 attempts: {reason}"
    run = (await runs_of(db, video_id))[VideoStage.topic]
    assert run.status == StageStatus.failed and run.attempts == 3
    assert run.error == f"attempt 3/3: {reason}"
    failed = [e for e in await events_of(db, channel.id) if e.type == "video.failed"]
    assert len(failed) == 1 and failed[0].data["error"] == video.error


@POSTGRES
async def test_a_work_horse_killed_every_time_is_not_retried_forever(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await make_channel(db, settings)
    video_id = await queue_video(db, connection, channel, topic="How lightning forms")
    env = {
        "YTE_STAGE_DELAY_SECONDS": "topic=600",  # inside its limit: only a kill ends a try
        "YTE_STAGE_LEASE_SECONDS": "3",
        "YTE_RECONCILE_INTERVAL_SECONDS": "5",
    }
    worker = WorkerProcess(settings, tmp_path / "worker.log", **env)
    workers.append(worker)
    for attempt in (1, 2, 3):

        def trying(video, runs, n=attempt) -> bool:  # type: ignore[no-untyped-def]
            run = runs.get(VideoStage.topic)
            return run is not None and run.status == StageStatus.running and run.attempts == n

        await wait_for(db, video_id, trying, timeout_s=90, poll_s=0.1)
        await asyncio.sleep(0.5)  # the horse is in the stage's delay now
        horses = descendants(worker.proc.pid)
        assert horses, "no work horse to kill"
        for pid in horses:  # the work horse only: the worker lives on and reconciles
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # Up to STALE_START (60 s) for a killed horse's "started" job, plus reconciler rounds;
    # room for a loaded box.
    video = await wait_for(db, video_id, _failed, timeout_s=180)
    assert video.error is not None
    assert video.error.startswith("topic failed after 3 attempts: its worker stopped")
    await asyncio.sleep(12)  # two more reconciler rounds: nothing is enqueued again
    run = (await runs_of(db, video_id))[VideoStage.topic]
    assert run.attempts == 3
    assert Queue("production", connection=connection).count == 0
    assert worker.proc.poll() is None
    failed = [e for e in await events_of(db, channel.id) if e.type == "video.failed"]
    assert len(failed) == 1
