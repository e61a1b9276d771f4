"""WorkerMetrics over real multiprocess files: an ended process's samples are folded into
the worker's own files (summed, or kept by the gauge's mode), a live one's stay its own,
a scrape sees the same before and after, and a port that is taken is reported, not fatal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import structlog
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from backend.jobs import worker_metrics
from backend.jobs.worker_metrics import PRIVATE_PREFIX, WorkerMetrics, sweep_orphans

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def ended_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def write(
    directory: Path, prefix: str, pid: int | str, values: dict[str, float], at: float = 0.0
) -> None:
    """What prometheus_client writes for one process: ``<prefix>_<pid>.db``."""
    store = MmapedDict(str(directory / f"{prefix}_{pid}.db"))
    for key, value in values.items():
        metric, sample, labels = key.split("|")
        names, vals = zip(*(item.split("=") for item in labels.split(",")), strict=True)
        store.write_value(mmap_key(metric, sample, names, vals, "help"), value, at)
    store.close()


def collect(metrics: WorkerMetrics) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in metrics.registry.collect()
        for s in family.samples
    }


def counters(amount: float) -> dict[str, float]:
    return {"jobs|jobs_total|queue=gpu": amount}


def histogram(amount: float) -> dict[str, float]:
    return {
        "wait|wait_bucket|queue=gpu,le=1.0": amount,
        "wait|wait_bucket|queue=gpu,le=+Inf": 0.0,
        "wait|wait_sum|queue=gpu": amount * 0.5,
    }


def test_ended_processes_are_folded_into_the_workers_files(tmp_path: Path) -> None:
    first, second, alive = ended_pid(), ended_pid(), os.getpid()
    for pid, amount in ((first, 2.0), (second, 3.0), (alive, 5.0)):
        write(tmp_path, "counter", pid, counters(amount))
        write(tmp_path, "histogram", pid, histogram(amount))
    write(tmp_path, "gauge_mostrecent", first, {"left|left|project=p": 800.0}, at=2e9)  # newer
    write(tmp_path, "gauge_mostrecent", second, {"left|left|project=p": 900.0}, at=1e9)
    write(tmp_path, "gauge_max", first, {"peak|peak|queue=gpu": 7.0})
    write(tmp_path, "gauge_max", second, {"peak|peak|queue=gpu": 4.0})
    write(tmp_path, "gauge_all", first, {"mem|mem|model=m": 1.0})  # per process: not served
    metrics = WorkerMetrics(tmp_path)

    before = collect(metrics)
    assert before[("jobs_total", frozenset({("queue", "gpu")}))] == 10.0
    assert before[("wait_count", frozenset({("queue", "gpu")}))] == 10.0
    assert not any(name == "mem" for name, _ in before)

    assert metrics.fold_dead() == sorted([first, second])
    names = sorted(p.name for p in tmp_path.glob("*.db"))
    assert names == sorted(
        [
            f"counter_{alive}.db",
            f"histogram_{alive}.db",
            "counter_horses.db",
            "histogram_horses.db",
            "gauge_mostrecent_horses.db",
            "gauge_max_horses.db",
        ]
    )
    after = collect(metrics)
    assert after == before
    assert after[("left", frozenset({("project", "p")}))] == 800.0
    assert after[("peak", frozenset({("queue", "gpu")}))] == 7.0

    # a later horse adds to what was folded; nothing is counted twice
    third = ended_pid()
    write(tmp_path, "counter", third, counters(1.0))
    assert metrics.fold_dead() == [third]
    assert collect(metrics)[("jobs_total", frozenset({("queue", "gpu")}))] == 11.0
    assert metrics.fold_dead() == []
    metrics.close()


def test_a_new_run_starts_from_a_clean_directory(tmp_path: Path) -> None:
    write(tmp_path, "counter", "horses", counters(4.0))
    write(tmp_path, "counter", ended_pid(), counters(1.0))
    write(tmp_path, "counter", os.getpid(), counters(2.0))
    metrics = WorkerMetrics(tmp_path, owned=True)
    metrics.clear_stale()
    assert [p.name for p in tmp_path.glob("*.db")] == [f"counter_{os.getpid()}.db"]
    metrics.close()
    assert not tmp_path.exists()  # an owned directory goes with the worker


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def test_it_serves_over_http_and_a_taken_port_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fresh logger: the module's may be cached with the processors of an earlier config
    monkeypatch.setattr(worker_metrics, "log", structlog.get_logger("test"))
    write(tmp_path, "counter", ended_pid(), counters(3.0))
    metrics = WorkerMetrics(tmp_path)
    assert metrics.serve("127.0.0.1", 0)
    assert metrics.port is not None
    families = {f.name: f for f in text_string_to_metric_families(scrape(metrics.port))}
    assert families["jobs"].samples[0].value == 3.0

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        other = WorkerMetrics(tmp_path)
        with structlog.testing.capture_logs() as logs:
            assert other.serve("127.0.0.1", taken.getsockname()[1]) is False
    assert [e["event"] for e in logs] == ["worker.metrics.unavailable"]
    metrics.close()
    other.close()


def test_a_dead_workers_private_directory_is_swept(tmp_path: Path) -> None:
    dead = tmp_path / f"{PRIVATE_PREFIX}{ended_pid()}-abc"
    live = tmp_path / f"{PRIVATE_PREFIX}{os.getpid()}-def"
    other = tmp_path / "someone-elses-dir"
    for directory in (dead, live, other):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"")
    assert sweep_orphans(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and other.exists()
