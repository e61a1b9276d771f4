"""Pipeline fixtures: an owner and channel in the database, and real RQ worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.auth.service import create_user
from backend.models import Channel, Event, StageRun, Video, VideoStage
from backend.settings import Settings
from tests.backend.conftest import SECRET

CLI = str(Path(sys.executable).with_name("ytempire"))


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "YTE_DATABASE_URL": settings.resolved_database_url,
        "YTE_REDIS_URL": settings.redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(settings.data_dir),
        "YTE_MODELS_DIR": str(settings.models_dir),
        "YTE_LOG_LEVEL": "INFO",
        # No network here: the daily discovery job must not spend the test reaching for it.
        "YTE_GOOGLE_TRENDS_URL": "",
        # Nor a niche store: a video without a topic takes one from the bundled series.
        "YTE_OFFLINE_TOPICS": "true",
        # No metrics endpoint (and so no re-exec into multiprocess mode): several workers of
        # one test would race for the port; tests/backend/observability scrape a worker.
        "YTE_WORKER_METRICS_PORT": "0",
        **extra,
    }


def descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively, read from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in parents.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class WorkerProcess:
    """``ytempire worker`` in its own process group, so a kill takes its work horse too."""

    def __init__(self, settings: Settings, log: Path, **env: str) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [CLI, "worker"],
            env=worker_env(settings, **env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its work horse (RQ gives the horse its own process group)."""
        for pid in [*descendants(self.proc.pid), self.proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture
def connection(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    yield client
    client.close()


async def make_channel(
    db: async_sessionmaker[AsyncSession], settings: Settings, **fields: Any
) -> Channel:
    async with db() as session:
        user = await create_user(
            session,
            settings,
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            password="long enough password",
        )
        values = {"name": "Science Bites", "niche": "science", **fields}
        values.setdefault("style_settings", {"target_minutes": 0.5})
        channel = Channel(owner_id=user.id, **values)
        session.add(channel)
        await session.commit()
        return channel


async def wait_for(
    db: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    predicate: Any,
    timeout_s: float,
    poll_s: float = 0.25,
) -> Video:
    deadline = time.monotonic() + timeout_s
    while True:
        async with db() as session:
            video = await session.get(Video, video_id)
            runs = {
                r.stage: r
                for r in await session.scalars(
                    select(StageRun).where(StageRun.video_id == video_id)
                )
            }
        assert video is not None
        if predicate(video, runs):
            return video
        if time.monotonic() > deadline:
            states = {s.value: (r.status.value, r.attempts, r.error) for s, r in runs.items()}
            raise AssertionError(
                f"timed out: video {video.status.value} at {video.stage}, runs={states}"
            )
        await asyncio.sleep(poll_s)


async def runs_of(
    db: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> dict[VideoStage, StageRun]:
    async with db() as session:
        rows = await session.scalars(select(StageRun).where(StageRun.video_id == video_id))
        return {r.stage: r for r in rows}


async def events_of(db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID) -> list[Event]:
    async with db() as session:
        return list(await session.scalars(select(Event).where(Event.channel_id == channel_id)))
