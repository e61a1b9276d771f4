"""Fenced stage results: only the runner holding a stage's current attempt records anything.

The stalled-runner test is real processes over the real PostgreSQL and Redis: the first
runner claims the stage and is frozen with SIGSTOP (a long pause, a frozen VM) until its
lease runs out; a second runner takes the stage over and commits; the first is thawed,
finishes its work and must record nothing, while the calls it was served still reach the
cost ledger.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import CostEvent, Event, StageRun, StageStatus, VideoStage
from backend.pipeline import repository
from backend.pipeline.lease import is_held
from backend.pipeline.stages import STAGE_QUEUE
from backend.settings import Settings
from tests.backend.pipeline.conftest import make_channel, runs_of, worker_env
from tests.backend.pipeline.test_runner import SCRIPT, _video_at

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

# One stage of one video in a process of its own, as a work horse runs it; JSON logs.
RUN_ONE = """
import json, sys
from backend.observability.logging import configure_logging
configure_logging("INFO", json=True)
from backend.pipeline.tasks import run_stage
print(json.dumps(run_stage(sys.argv[1], sys.argv[2])), flush=True)
"""


def runner(
    settings: Settings, video_id: uuid.UUID, stage: VideoStage, log: Path, **env: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_ONE, str(video_id), stage.value],
        env=worker_env(settings, **env),
        stdout=subprocess.PIPE,
        stderr=log.open("wb"),
    )


def served(*logs: Path, modality: str) -> int:
    """Calls the AI gateway served, from its ``ai.served`` log lines."""
    count = 0
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                count += entry.get("event") == "ai.served" and entry.get("modality") == modality
    return count


def result_of(proc: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=timeout_s)
    assert proc.returncode == 0, out
    parsed: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return parsed


async def until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@POSTGRES
async def test_a_runner_stalled_past_its_lease_records_nothing(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    tmp_path: Path,
) -> None:
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.images)
    lease = {"YTE_STAGE_LEASE_SECONDS": "3"}
    stale_log, taker_log = tmp_path / "stale.log", tmp_path / "taker.log"
    stale = runner(
        settings,
        video_id,
        VideoStage.images,
        stale_log,
        YTE_STAGE_DELAY_SECONDS="images=5",
        **lease,
    )

    async def claimed() -> bool:
        run = (await runs_of(db, video_id)).get(VideoStage.images)
        return run is not None and run.status == StageStatus.running and run.attempts == 1

    async def lease_gone() -> bool:
        return not is_held(connection, video_id, VideoStage.images)

    try:
        await until(claimed, 60, "the first runner to claim the stage")
        os.kill(stale.pid, signal.SIGSTOP)  # frozen while it holds attempt 1
        await until(lease_gone, 15, "the frozen runner's lease to run out")
        taker = runner(settings, video_id, VideoStage.images, taker_log, **lease)
        took = result_of(taker, 120)
    finally:
        os.kill(stale.pid, signal.SIGCONT)
    late = result_of(stale, 120)

    assert took["outcome"] == "next", took
    assert late == {"stage": "images", "outcome": "superseded", "attempt": 1}
    run = (await runs_of(db, video_id))[VideoStage.images]
    assert (run.status, run.attempts, run.tries, run.error) == (StageStatus.succeeded, 2, 0, None)
    assert sorted(run.artifacts) == [f"image_{i:02d}" for i in range(1, len(SCRIPT.scenes) + 1)]
    # One commit: the next stage was enqueued once, and nothing failed.
    queue = Queue(STAGE_QUEUE[VideoStage.render].value, connection=connection)
    assert queue.job_ids == [f"stage-{video_id}-render-0"]
    async with db() as session:
        events = list(await session.scalars(select(Event).where(Event.video_id == video_id)))
        charges = list(
            await session.scalars(
                select(CostEvent).where(
                    CostEvent.video_id == video_id, CostEvent.stage == VideoStage.images.value
                )
            )
        )
    assert [e.type for e in events] == []
    # Both runners were served an image per scene, and every one of those calls is in the
    # ledger: the superseded runner recorded no outcome but still paid for its calls.
    scenes = len(SCRIPT.scenes)
    assert served(stale_log, modality="image") == served(taker_log, modality="image") == scenes
    assert len(charges) == 2 * scenes and {c.kind for c in charges} == {"image"}
    print(f"\nfencing: 2 runners, 1 commit, ledger {len(charges)} = served {2 * scenes}")


@POSTGRES
async def test_only_the_current_attempt_is_written(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    async with db() as session:
        session.add(StageRun(video_id=video_id, stage=VideoStage.thumbnail, attempts=0, tries=0))
        await session.commit()
    # Two runners read the stage at attempts 0; the first claims attempt 1.
    async with db() as first, db() as second:
        mine = (await repository.stage_runs(first, video_id))[VideoStage.thumbnail]
        theirs = (await repository.stage_runs(second, video_id))[VideoStage.thumbnail]
        assert await repository.claim_attempt(first, mine, tries=1) == 1
        await first.commit()
        # The second's compare-and-set sees the attempt moved on: it claims nothing.
        assert await repository.claim_attempt(second, theirs, tries=1) is None
        await second.rollback()
    async with db() as session:
        # An outcome for a stale attempt writes nothing; for the current one it does.
        stale = await repository.fence(
            session, video_id, VideoStage.thumbnail, 0, status=StageStatus.succeeded
        )
        current = await repository.fence(
            session, video_id, VideoStage.thumbnail, 1, status=StageStatus.failed, error="x"
        )
        await session.commit()
    assert (stale, current) == (False, True)
    run = (await runs_of(db, video_id))[VideoStage.thumbnail]
    assert (run.status, run.attempts, run.error) == (StageStatus.failed, 1, "x")
