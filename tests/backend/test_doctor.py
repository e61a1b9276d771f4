"""``ytempire doctor`` on this box: passes with the services up, names the fix when not."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ai.settings import AISettings
from backend.settings import Settings
from backend.system.doctor import failed, run_checks

CLI = str(Path(sys.executable).with_name("ytempire"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _by_name(checks: list) -> dict:
    return {c.name: c for c in checks}


async def test_passes_with_the_services_up(settings: Settings) -> None:
    checks = await run_checks(settings, AISettings())
    assert failed(checks) == [], [c for c in failed(checks)]
    named = _by_name(checks)
    for name in ("database", "migrations", "redis", "media dir", "free space", "h264 encoder"):
        assert named[name].ok, named[name]
    assert any(c.group == "models" for c in checks)
    # nothing configured for publishing or backups yet: warnings with their fix, not failures
    assert named["oauth client"].status == "warn"
    assert "ytempire youtube client set" in (named["oauth client"].fix or "")
    assert named["last backup"].status == "warn"
    assert "ytempire backup create" in (named["last backup"].fix or "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_stopped_redis_fails_with_the_fix_named(settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        private = settings.model_copy(update={"redis_url": url})
        assert _by_name(await run_checks(private, AISettings()))["redis"].ok
    finally:
        server.terminate()
        server.wait(timeout=30)
    checks = await run_checks(private, AISettings())
    redis_check = _by_name(checks)["redis"]
    assert not redis_check.ok and redis_check.required
    assert "ConnectionError" in redis_check.detail
    assert "start Redis" in (redis_check.fix or "") and "YTE_REDIS_URL" in (redis_check.fix or "")
    assert redis_check in failed(checks)


def test_the_command_exits_non_zero_until_migrated(tmp_path: Path) -> None:
    env = {**os.environ, "YTE_DATA_DIR": str(tmp_path), "YTE_LOG_LEVEL": "WARNING"}
    env.pop("YTE_DATABASE_URL", None)
    env.pop("YTE_REDIS_URL", None)

    def doctor() -> tuple[int, dict]:
        done = subprocess.run(
            [CLI, "doctor", "--json"], env=env, capture_output=True, text=True, timeout=300
        )
        return done.returncode, json.loads(done.stdout)

    code, report = doctor()
    assert code == 1 and not report["ok"]
    migrations = next(c for c in report["checks"] if c["name"] == "migrations")
    assert migrations["status"] == "fail" and migrations["fix"] == "ytempire migrate"

    subprocess.run([CLI, "migrate"], env=env, capture_output=True, timeout=300, check=True)
    code, report = doctor()
    assert code == 0 and report["ok"], [c for c in report["checks"] if c["status"] == "fail"]
