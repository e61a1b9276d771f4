"""The forking worker rides out a Redis outage, and its work horse never outlives it.

A real ``ytempire worker`` process over a private ``redis-server`` (stopped and started
again by the test) and the real PostgreSQL (its scheduler runs the reconciler).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job

from backend.settings import Settings
from tests.backend.jobs.redis_server import PrivateRedis, running_redis
from tests.backend.pipeline.conftest import WorkerProcess, descendants

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    yield from running_redis(tmp_path)


@pytest.fixture
def redis_url(private_redis: PrivateRedis) -> str:
    return private_redis.url


def until(check: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def status(connection: redis.Redis, job_id: str) -> str | None:
    with contextlib.suppress(Exception):
        found = Job.fetch(job_id, connection=connection).get_status(refresh=True)
        return None if found is None else str(found.value)
    return None


@POSTGRES
def test_a_worker_rides_out_a_redis_outage_and_its_horse_dies_with_it(
    settings: Settings, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = WorkerProcess(settings, log)
    connection = redis.Redis.from_url(private_redis.url)
    try:
        queue = Queue("production", connection=connection)
        first = queue.enqueue("time.sleep", 3, job_timeout=60)
        until(lambda: status(connection, first.id) == "started", 60, "the first job to start")
        horses = descendants(worker.proc.pid)
        assert len(horses) == 1, horses

        # Redis goes away while the horse works and stays away past its end: the
        # worker's bookkeeping of that job fails (RQ's own worker quits there).
        private_redis.stop()
        until(lambda: not alive(horses[0]), 30, "the horse to end")
        time.sleep(2.0)
        assert worker.proc.poll() is None, log.read_text()[-3000:]
        private_redis.start()  # empty: no persistence

        connection = redis.Redis.from_url(private_redis.url)
        queue = Queue("production", connection=connection)
        second = queue.enqueue("time.sleep", 0.1)
        until(
            lambda: status(connection, second.id) == "finished", 30, "a job after Redis came back"
        )
        assert worker.proc.poll() is None
        text = log.read_text()
        assert "worker.redis_unavailable" in text and "quitting" not in text, text[-3000:]

        # The worker alone is killed while a horse works: the horse goes with it.
        third = queue.enqueue("time.sleep", 60, job_timeout=120)
        until(lambda: status(connection, third.id) == "started", 30, "the third job to start")
        horses = descendants(worker.proc.pid)
        assert len(horses) == 1, horses
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(10)
        until(lambda: not alive(horses[0]), 5, "the orphaned horse to die")

        # A worker started while Redis is away waits for it, then works.
        private_redis.stop()
        worker.stop()
        worker = WorkerProcess(settings, tmp_path / "late.log")
        time.sleep(3.0)
        assert worker.proc.poll() is None, (tmp_path / "late.log").read_text()[-3000:]
        private_redis.start()
        connection = redis.Redis.from_url(private_redis.url)
        late = Queue("production", connection=connection).enqueue("time.sleep", 0.1)
        until(lambda: status(connection, late.id) == "finished", 30, "the late worker's job")
    finally:
        worker.stop()
        connection.close()
