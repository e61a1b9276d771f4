"""Chaos: videos go through real workers while a worker, Redis and the API are killed.

Real forking ``ytempire worker`` processes and a real ``ytempire serve`` over the real
PostgreSQL and a private ``redis-server`` this test starts on a free port (no
persistence: a restart comes back empty), with the CPU models. During the run:

- the API is SIGKILLed with a request to queue a video in flight, and started again;
- a worker and its work horse are SIGKILLed mid-stage (the script stage, after it was
  served at least one model call), and a replacement worker is started;
- the private redis-server is restarted while a stage runs.

Afterwards every video is ready (none lost), at most one stage was redone per kill that
could cost one (the worker and Redis), no video has a duplicate artifact or event, and
the cost ledger holds exactly the calls the AI gateway served (counted from the
gateway's own ``ai.served`` log lines of every worker, the killed one included).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from rq.job import Job
from rq.worker import Worker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import (
    Channel,
    CostEvent,
    Event,
    StageRun,
    StageStatus,
    User,
    Video,
    VideoStage,
    VideoStatus,
)
from backend.models.video import PRODUCTION_STAGES
from backend.pipeline.stages import job_id
from backend.settings import Settings
from tests.backend.jobs.redis_server import PrivateRedis, running_redis
from tests.backend.pipeline.conftest import CLI, WorkerProcess, make_channel, worker_env
from tests.backend.pipeline.test_pipeline import queue_video

pytestmark = pytest.mark.slow
POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
PASSWORD = "long enough password"  # make_channel's owner
WORKER_ENV = {
    "YTE_STAGE_LEASE_SECONDS": "3",
    "YTE_RECONCILE_INTERVAL_SECONDS": "5",
    "YTE_JSON_LOGS": "1",  # the gateway's ai.served lines, parsed below
}
TOPICS = (
    "How volcanoes build new islands",
    "Why octopuses have three hearts",
    "How bees find their way home",
)
FINISHED = (VideoStatus.ready, VideoStatus.failed, VideoStatus.needs_review)
DEADLINE_S = 540.0  # the whole run: 4-6 minutes on 2 cores under load (pytest-timeout: 600 s)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    yield from running_redis(tmp_path)


@pytest.fixture
def redis_url(private_redis: PrivateRedis) -> str:
    return private_redis.url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiProcess:
    """``ytempire serve`` in its own process group, on a free port."""

    def __init__(self, settings: Settings, log: Path, port: int) -> None:
        self.port = port
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [CLI, "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)],
            env=worker_env(settings, YTE_LOG_LEVEL="WARNING"),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.base, timeout=2.0) as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, "the API exited"
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError("the API did not come up")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


async def sign_in(api: ApiProcess, email: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=api.base, timeout=30.0) as http:
        response = await http.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def request_and_kill(api: ApiProcess, headers: dict[str, str], path: str, body: bytes) -> bool:
    """Send one request and SIGKILL the API before its answer is read. True when no
    answer had arrived by then (the kill was mid-request, as far as the client knows)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n{head}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", api.port), timeout=5) as sock:
        sock.sendall(raw)
        sock.setblocking(False)
        try:
            answered = bool(sock.recv(1))
        except BlockingIOError:
            answered = False
        api.kill()
    return not answered


async def until(
    check: Callable[[], Awaitable[Any]], timeout_s: float, what: str, poll_s: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(poll_s)


def served(logs: list[Path]) -> Counter[str]:
    """Calls the AI gateway served, per modality, from its ``ai.served`` log lines."""
    counts: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"ai.served"' in line:
                entry = json.loads(line)
                if entry.get("event") == "ai.served":
                    counts[str(entry["modality"])] += 1
    return counts


async def runs_by_video(
    db: async_sessionmaker[AsyncSession], video_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[VideoStage, StageRun]]:
    async with db() as session:
        rows = await session.scalars(select(StageRun).where(StageRun.video_id.in_(video_ids)))
        found: dict[uuid.UUID, dict[VideoStage, StageRun]] = {v: {} for v in video_ids}
        for run in rows:
            found[run.video_id][run.stage] = run
        return found


async def charges_of(
    db: async_sessionmaker[AsyncSession], video_id: uuid.UUID, stage: VideoStage
) -> int:
    async with db() as session:
        query = select(func.count()).where(
            CostEvent.video_id == video_id, CostEvent.stage == stage.value
        )
        return int(await session.scalar(query) or 0)


def worker_of(connection: redis.Redis, jid: str, workers: list[WorkerProcess]) -> WorkerProcess:
    """The worker process running RQ job ``jid``."""
    job = Job.fetch(jid, connection=connection)
    assert job.worker_name, f"{jid} has no worker"
    rq_worker = Worker.find_by_key(f"rq:worker:{job.worker_name}", connection=connection)
    assert rq_worker is not None
    return next(w for w in workers if w.proc.pid == rq_worker.pid)


@POSTGRES
async def test_videos_survive_killed_workers_redis_restarts_and_a_killed_api(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    private_redis: PrivateRedis,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    channel = await make_channel(
        db, settings, quality_threshold=0.3, style_settings={"target_minutes": 0.25}
    )
    async with db() as session:
        owner = await session.get(User, channel.owner_id)
        assert owner is not None
        email = owner.email
    connection = redis.Redis.from_url(private_redis.url)
    logs: list[Path] = []
    workers: list[WorkerProcess] = []

    def start_worker() -> WorkerProcess:
        logs.append(tmp_path / f"worker{len(logs) + 1}.log")
        workers.append(WorkerProcess(settings, logs[-1], **WORKER_ENV))
        return workers[-1]

    api = ApiProcess(settings, tmp_path / "api.log", free_port())
    apis = [api]
    try:
        start_worker()
        start_worker()
        video_ids = [await queue_video(db, connection, channel, topic=t) for t in TOPICS[:2]]

        # 1. The API is killed with a request to queue the third video in flight.
        await api.ready()
        headers = await sign_in(api, email)
        body = json.dumps({"topic": TOPICS[2]}).encode()
        mid_request = request_and_kill(api, headers, f"/api/v1/channels/{channel.id}/videos", body)
        api = ApiProcess(settings, tmp_path / "api.log", api.port)
        apis.append(api)
        await api.ready()
        headers = await sign_in(api, email)
        async with db() as session:
            third = await session.scalar(
                select(Video.id).where(Video.channel_id == channel.id, Video.topic == TOPICS[2])
            )
        committed_before_kill = third is not None
        if third is None:  # the killed request had not committed: the owner tries again
            async with httpx.AsyncClient(base_url=api.base, timeout=30.0) as http:
                response = await http.post(
                    f"/api/v1/channels/{channel.id}/videos",
                    json={"topic": TOPICS[2]},
                    headers=headers,
                )
            assert response.status_code == 201, response.text
            third = uuid.UUID(response.json()["id"])
        video_ids.append(third)

        # 2. A worker and its work horse are killed mid-script, after paid-for calls.
        async def scripting() -> tuple[uuid.UUID, int] | None:
            runs = await runs_by_video(db, video_ids)
            for vid, stages in runs.items():
                run = stages.get(VideoStage.script)
                if run is not None and run.status == StageStatus.running and run.attempts == 1:
                    charged = await charges_of(db, vid, VideoStage.script)
                    if charged:
                        return vid, charged
            return None

        killed_video, charged_before_kill = await until(scripting, 240, "a script mid-way")
        victim = worker_of(connection, job_id(killed_video, VideoStage.script, 0), workers)
        victim.kill()
        start_worker()  # its replacement, as a supervisor would start one

        # 3. Redis restarts (empty) while a stage runs.
        async def running_stage() -> bool:
            runs = await runs_by_video(db, video_ids)
            return any(
                r.status == StageStatus.running
                for stages in runs.values()
                for r in stages.values()
                if r.video_id != killed_video
            )

        await until(running_stage, 240, "a stage running")
        private_redis.stop()
        await asyncio.sleep(2.0)
        private_redis.start()

        # Every video reaches a terminal state.
        async def all_finished() -> bool:
            async with db() as session:
                statuses = list(
                    await session.scalars(select(Video.status).where(Video.id.in_(video_ids)))
                )
            return len(statuses) == len(video_ids) and all(s in FINISHED for s in statuses)

        left_s = DEADLINE_S - (time.monotonic() - started)
        await until(all_finished, left_s, "every video", poll_s=1.0)
        await asyncio.sleep(1.0)  # the last after-commit work (events, budget watch)
    finally:
        for worker in workers:
            worker.stop()
        for process in apis:
            process.stop()
        connection.close()
    elapsed = time.monotonic() - started

    async with db() as session:
        videos = {
            v.id: v
            for v in await session.scalars(select(Video).where(Video.channel_id == channel.id))
        }
        events = list(await session.scalars(select(Event).where(Event.channel_id == channel.id)))
        ledger = list(
            await session.scalars(select(CostEvent).where(CostEvent.channel_id == channel.id))
        )
        fresh_channel = await session.get(Channel, channel.id)
    runs = await runs_by_video(db, list(videos))

    # None lost, none made twice: exactly the three videos, all ready.
    assert sorted(videos) == sorted(video_ids)
    ready = [v for v in videos.values() if v.status == VideoStatus.ready]
    assert len(ready) == len(TOPICS), {v.topic: (v.status, v.error) for v in videos.values()}

    # At most one stage redone per kill that can cost one (the worker's and Redis's);
    # the killed script was redone exactly once. Quality-gate regenerations are not redos.
    regenerations = sum(
        int((r[VideoStage.quality].output or {}).get("regenerations", 0)) for r in runs.values()
    )
    attempts = sum(run.attempts for stages in runs.values() for run in stages.values())
    redone = attempts - len(PRODUCTION_STAGES) * len(videos) - 2 * regenerations
    assert runs[killed_video][VideoStage.script].attempts == 2
    assert 1 <= redone <= 2, {
        str(v): {s.value: r.attempts for s, r in stages.items()} for v, stages in runs.items()
    }

    # No duplicate artifacts: each file is one stage's artifact, each artifact one file.
    for vid, stages in runs.items():
        assert [s for s in PRODUCTION_STAGES if stages[s].status == StageStatus.succeeded] == list(
            PRODUCTION_STAGES
        )
        claimed = [path for run in stages.values() for path in (run.artifacts or {}).values()]
        assert len(claimed) == len(set(claimed)), claimed
        video_dir = settings.media_dir / str(vid)
        files = {
            p.relative_to(video_dir).as_posix()
            for p in video_dir.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        }
        assert files == set(claimed), files ^ set(claimed)

    # No duplicate events: one video.completed per video, no failure.
    per_video = Counter((e.type, e.video_id) for e in events if e.video_id is not None)
    assert {k for k, n in per_video.items() if n > 1} == set(), per_video
    assert sorted((e.type, e.video_id) for e in events if e.video_id is not None) == sorted(
        ("video.completed", v) for v in videos
    )
    assert fresh_channel is not None and fresh_channel.consecutive_failures == 0

    # The ledger holds exactly the calls the gateway served: those of the killed attempt
    # too, and each one once.
    calls = served(logs)
    kinds = Counter(c.kind for c in ledger if c.kind != "render")
    renders = sum(1 for c in ledger if c.kind == "render")
    assert kinds == calls, (kinds, calls)
    assert len(videos) <= renders <= len(videos) + redone  # a render redone pays twice
    assert charged_before_kill >= 1

    print(
        f"\nchaos: {len(videos)} videos, {len(ready)} ready, {len(video_ids) - len(ready)} lost;"
        f" kills: worker+horse 1 (mid-script, {charged_before_kill} calls paid), redis restart 1,"
        f" api 1 (mid-request: {mid_request}, committed before the kill: "
        f"{committed_before_kill}); stages redone {redone}; ledger {sum(kinds.values())}"
        f" = served {sum(calls.values())} ({dict(sorted(calls.items()))}); {elapsed:.0f} s"
    )
