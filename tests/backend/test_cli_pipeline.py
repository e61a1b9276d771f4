"""The demo and `serve --embedded` as an owner runs them: they finish or fail with the
reason, stop on Ctrl-C/SIGTERM within seconds, and keep logs out of their output."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.backend.conftest import MODELS_DIR, PASSWORD

CLI = str(Path(sys.executable).with_name("ytempire"))
pytestmark = pytest.mark.slow


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "YTE_DATA_DIR": str(data), "YTE_MODELS_DIR": str(MODELS_DIR)}
    env.update({"COLUMNS": "120", "YTE_GOOGLE_TRENDS_URL": "", **extra})
    for name in ("YTE_DATABASE_URL", "YTE_REDIS_URL", "YTE_LOG_LEVEL"):
        env.pop(name, None)
    return env


def _start(args: list[str], data: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, *args],
        env=_env(data, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stage_running(data: Path, stage: str, timeout_s: float) -> None:
    """Wait until the embedded SQLite database shows ``stage`` running."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(data / "ytempire.db", timeout=1) as db:
                row = db.execute(
                    "SELECT 1 FROM stage_runs WHERE stage = ? AND status = 'running'", (stage,)
                ).fetchone()
            if row:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{stage} never started")


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[float, str, str]:
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"still running 20 s after signal {sig}: {err[-2000:]}") from None
    return time.monotonic() - sent, out, err


def test_demo_fails_with_the_reason_when_a_stage_times_out(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [CLI, "demo", "--topic", "How tides work", "--out", str(tmp_path / "out")],
        env=_env(
            tmp_path,
            YTE_SCRIPT_TIMEOUT_SECONDS="1",
            YTE_STAGE_DELAY_SECONDS="script=120",
        ),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert time.monotonic() - started < 180
    assert "script: try 1/3 (limit 1 s)" in result.stdout
    assert "script: attempt 2/3: timed out after 1 s" in result.stdout
    assert "script failed after 3 attempts: timed out after 1 s" in " ".join(result.stderr.split())
    assert "[info" not in output  # a CLI command logs warnings and worse only


def test_ctrl_c_stops_the_demo_within_seconds(tmp_path: Path) -> None:
    demo = _start(["demo", "--topic", "Why the sky is blue"], tmp_path)
    _stage_running(tmp_path, "script", timeout_s=180)
    time.sleep(3)  # the strategist is writing with the CPU model now
    waited, _out, err = _stop(demo, signal.SIGINT)
    assert waited < 5, (waited, err[-2000:])
    assert demo.returncode == 130
    assert "interrupted" in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_with_a_stage_running(data: Path, email: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    serve = _start(
        ["serve", "--embedded", "--port", str(port)], data, YTE_STAGE_DELAY_SECONDS="topic=120"
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert serve.poll() is None, serve.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "serve did not come up"
        time.sleep(0.3)
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api:
        api.post("/auth/register", json={"email": email, "password": PASSWORD})
        token = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        channel = api.post("/channels", json={"name": f"Tides {port}", "niche": "science"})
        assert channel.status_code == 201, channel.text
        video = api.post(f"/channels/{channel.json()['id']}/videos", json={"topic": "Tides"})
        assert video.status_code == 201, video.text
    _stage_running(data, "topic", timeout_s=60)
    return serve, port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_embedded_stops_within_seconds_with_a_stage_running(tmp_path: Path, sig: int) -> None:
    serve, port = _serve_with_a_stage_running(tmp_path, "owner@example.com")
    waited, out, err = _stop(serve, sig)
    assert waited < 5, (waited, err[-2000:])
    assert f"YTEMPIRE dashboard: http://127.0.0.1:{port}/" in out
    assert f"http://127.0.0.1:{port}/docs" in out
    assert "[info" not in out  # logs are on stderr only
    assert "api.started" in err


def test_serve_help_shows_embedded_as_a_plain_flag(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "serve", "--help"], env=_env(tmp_path), capture_output=True, text=True, check=False
    )
    line = next(li for li in result.stdout.splitlines() if "--embedded" in li)
    assert "--no-embedded" not in result.stdout
    assert "<bool>" not in line, line


def test_commands_print_output_without_log_lines(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "migrate"], env=_env(tmp_path), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("database at")
    assert result.stderr == ""
    loud = subprocess.run(
        [CLI, "--log-level", "loud", "migrate"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert loud.returncode == 2 and "not a log level" in loud.stderr
