"""A real ``ytempire worker`` serves what its work horses counted, on its own port.

The worker is started without ``PROMETHEUS_MULTIPROC_DIR``, as an operator would: it
executes itself again in multiprocess mode (same pid) with a private directory. A video
runs its real topic stage (succeeds) and its real script stage, made to time out by
``YTE_SCRIPT_TIMEOUT_SECONDS`` and ``YTE_STAGE_DELAY_SECONDS``; each stage runs in a forked
work horse over the real Redis and PostgreSQL, and the counts reach the scrape; so do the
cost.alert counts of the budget watcher, a job in a horse as well.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import CostEvent, VideoStatus
from backend.settings import Settings
from tests.backend.pipeline.conftest import WorkerProcess, make_channel, wait_for
from tests.backend.pipeline.test_pipeline import queue_video

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def exposition(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def scrape(port: int) -> Samples:
    text = exposition(port)
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def scrape_until(port: int, ready: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> Samples:
    deadline = time.monotonic() + 60
    while True:
        try:
            samples = scrape(port)
        except OSError:
            samples = {}
        if all(samples.get(k) == v for k, v in ready.items()):
            return samples
        if time.monotonic() > deadline:
            missing = {k: (samples.get(k), v) for k, v in ready.items() if samples.get(k) != v}
            raise AssertionError(f"scrape never showed (seen, wanted): {missing}")
        time.sleep(0.5)


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


@POSTGRES
async def test_worker_serves_stage_metrics_counted_in_its_work_horses(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    port = free_port()
    channel = await make_channel(db, settings)
    connection = redis.Redis.from_url(settings.redis_url)
    env = {
        "YTE_WORKER_METRICS_PORT": str(port),
        "YTE_SCRIPT_TIMEOUT_SECONDS": "1",
        "YTE_STAGE_DELAY_SECONDS": "script=60",
        "YTE_STAGE_MAX_ATTEMPTS": "1",
    }
    worker = WorkerProcess(settings, tmp_path / "worker.log", **env)
    try:
        video_id = await queue_video(db, connection, channel, topic="Why the sky is blue")
        try:  # two starts of the CLI (the re-exec) and two stages: room for a loaded box
            video = await wait_for(
                db, video_id, lambda v, _runs: v.status == VideoStatus.failed, timeout_s=180
            )
        except AssertionError as exc:
            tail = (tmp_path / "worker.log").read_text()[-4000:]
            raise AssertionError(f"{exc}; the worker's log ends:\n{tail}") from exc
        assert video.error is not None and video.error.startswith("script failed after 1")

        samples = scrape_until(
            port,
            {
                key("ytempire_stage_runs_total", stage="topic", outcome="succeeded"): 1.0,
                key("ytempire_stage_runs_total", stage="script", outcome="failed"): 1.0,
                key("ytempire_stage_duration_seconds_count", stage="topic"): 1.0,
                key("ytempire_stage_duration_seconds_count", stage="script"): 1.0,
                key("ytempire_stage_attempts_total", stage="topic"): 1.0,
                key("ytempire_stage_attempts_total", stage="script"): 1.0,
                key("ytempire_videos_total", outcome="failed"): 1.0,
            },
        )
        script_s = value(samples, "ytempire_stage_duration_seconds_sum", stage="script")
        assert script_s is not None and 1.0 <= script_s < 30  # its 1 s limit, not its delay
        fast = value(samples, "ytempire_stage_duration_seconds_bucket", stage="script", le="0.5")
        assert fast == 0  # the try ran to its limit
        assert value(samples, "ytempire_videos_total", outcome="ready") == 0
        for queue in ("production", "gpu"):  # topic, then script
            assert value(samples, "ytempire_queue_wait_seconds_count", queue=queue) == 1
            finished = {"queue": queue, "outcome": "finished"}
            assert value(samples, "ytempire_worker_jobs_total", **finished) == 1
        # no per-process gauges (pid labels) in a worker's scrape
        assert not any("pid" in dict(labels) for _name, labels in samples)

        # The budget watcher, a job in a horse too: its cost.alert counts reach the scrape.
        async with db() as session:
            session.add(
                CostEvent(
                    id=uuid.uuid4(),
                    channel_id=channel.id,
                    kind="text",
                    provider="test",
                    amount_usd=channel.daily_budget_usd,
                )
            )
            await session.commit()
        Queue("maintenance", connection=connection).enqueue("backend.costs.tasks.watch_budgets")
        samples = scrape_until(
            port,
            {
                key("ytempire_budget_alerts_total", period="daily", level="80"): 1.0,
                key("ytempire_budget_alerts_total", period="daily", level="100"): 1.0,
                key("ytempire_budget_alerts_total", period="monthly", level="80"): 0.0,
            },
        )

        # The horses' files were folded into the worker's own: one set of files per kind.
        directory = Path(environ_of(worker.proc.pid)["PROMETHEUS_MULTIPROC_DIR"])
        deadline = time.monotonic() + 30
        while True:
            pids = {p.stem.rsplit("_", 1)[1] for p in directory.glob("*.db")}
            if pids <= {str(worker.proc.pid), "horses"}:
                break
            assert time.monotonic() < deadline, f"horse files left: {sorted(pids)}"
            time.sleep(0.5)
        assert "horses" in pids
        if shutil.which("promtool"):  # the exposition Prometheus itself would parse
            lint = subprocess.run(
                ["promtool", "check", "metrics"],
                input=exposition(port),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert lint.returncode == 0, lint.stdout + lint.stderr
        after = scrape(port)  # folding changed nothing a scrape sees
        for name, labels in samples:
            if name.startswith("ytempire_stage_") or name.startswith("ytempire_videos_"):
                assert after[(name, labels)] == samples[(name, labels)], (name, labels)
    finally:
        worker.stop()
        connection.close()
    assert not directory.exists()  # the worker's private directory goes with it
    assert "worker.metrics.serving" in (tmp_path / "worker.log").read_text()
