from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("ytempire"))


def _run(args: list[str], data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YTE_DATA_DIR": str(data), "COLUMNS": "200"}
    env.pop("YTE_DATABASE_URL", None)
    env.pop("YTE_REDIS_URL", None)
    return subprocess.run(
        [CLI, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_migrate_and_manage_users(tmp_path: Path) -> None:
    migrated = _run(["migrate"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "database at" in migrated.stdout

    created = _run(
        ["user", "create", "boss@example.com", "--admin", "--password-stdin"],
        tmp_path,
        "a sturdy password\n",
    )
    assert created.returncode == 0, created.stderr
    duplicate = _run(
        ["user", "create", "boss@example.com", "--password-stdin"], tmp_path, "a sturdy password\n"
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    weak = _run(["user", "create", "weak@example.com", "--password-stdin"], tmp_path, "short\n")
    assert weak.returncode != 0

    listed = _run(["user", "list"], tmp_path)
    assert "boss@example.com" in listed.stdout and "admin" in listed.stdout

    reset = _run(
        ["user", "reset-password", "boss@example.com", "--password-stdin"],
        tmp_path,
        "another sturdy one\n",
    )
    assert reset.returncode == 0 and "sessions revoked" in reset.stdout
    missing = _run(
        ["user", "reset-password", "nobody@example.com", "--password-stdin"],
        tmp_path,
        "another sturdy one\n",
    )
    assert missing.returncode == 1

    channels = _run(["channel", "list"], tmp_path)
    assert channels.returncode == 0


def test_worker_refuses_embedded_redis(tmp_path: Path) -> None:
    result = _run(["worker", "--burst"], tmp_path)
    assert result.returncode == 2 and "YTE_REDIS_URL" in result.stderr
