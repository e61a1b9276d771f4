"""``ytempire user set-limit|set-role|deactivate`` and ``ytempire channel ...`` end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("ytempire"))
PASSWORD = "a sturdy password\n"


def _run(
    args: list[str], data: Path, stdin: str | None = None, columns: int = 80
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "YTE_DATA_DIR": str(data),
        "COLUMNS": str(columns),
        "YTE_LOG_LEVEL": "WARNING",
    }
    env.pop("YTE_DATABASE_URL", None)
    env.pop("YTE_REDIS_URL", None)
    return subprocess.run(
        [CLI, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def test_user_admin_commands(tmp_path: Path) -> None:
    _ok(_run(["migrate"], tmp_path))
    bad = _run(["user", "create", "not-an-email", "--password-stdin"], tmp_path, PASSWORD)
    assert bad.returncode != 0 and "not a valid email address" in bad.stderr
    _ok(
        _run(
            ["user", "create", "boss@example.com", "--admin", "--password-stdin"],
            tmp_path,
            PASSWORD,
        )
    )
    _ok(_run(["user", "create", "crew@example.com", "--password-stdin"], tmp_path, PASSWORD))

    assert "channel limit set to 12" in _ok(
        _run(["user", "set-limit", "crew@example.com", "12"], tmp_path)
    )
    too_big = _run(["user", "set-limit", "crew@example.com", "1000"], tmp_path)
    assert too_big.returncode != 0
    last = _run(["user", "set-role", "boss@example.com", "member"], tmp_path)
    assert last.returncode == 1 and "last active administrator" in last.stderr
    assert "role set to admin" in _ok(
        _run(["user", "set-role", "crew@example.com", "admin"], tmp_path)
    )
    wrong_role = _run(["user", "set-role", "crew@example.com", "owner"], tmp_path)
    assert wrong_role.returncode != 0
    assert "deactivated" in _ok(_run(["user", "deactivate", "crew@example.com"], tmp_path))
    last_active = _run(["user", "deactivate", "boss@example.com"], tmp_path)
    assert last_active.returncode == 1 and "last active administrator" in last_active.stderr
    nobody = _run(["user", "deactivate", "nobody@example.com"], tmp_path)
    assert nobody.returncode == 1 and "no user has the email nobody@example.com" in nobody.stderr

    listed = _ok(_run(["user", "list"], tmp_path, columns=120))
    crew = next(line for line in listed.splitlines() if "crew@example.com" in line)
    assert "admin" in crew and " no " in crew and "12" in crew
    _ok(_run(["user", "activate", "crew@example.com"], tmp_path))
    listed = _ok(_run(["user", "list"], tmp_path, columns=120))
    crew = next(line for line in listed.splitlines() if "crew@example.com" in line)
    assert " yes " in crew


def test_channel_commands(tmp_path: Path) -> None:
    _ok(_run(["migrate"], tmp_path))
    _ok(
        _run(
            ["user", "create", "boss@example.com", "--admin", "--password-stdin"],
            tmp_path,
            PASSWORD,
        )
    )
    long_name = "The Extremely Long Channel Name About Telescopes And Their History"
    created = _ok(
        _run(
            [
                "channel",
                "create",
                long_name,
                "--owner",
                "boss@example.com",
                "--niche",
                "astronomy, optics and the people who built the great observatories",
            ],
            tmp_path,
            columns=200,
        )
    )
    channel_id = re.search(r"id=([0-9a-f-]{36})", created)
    assert channel_id, created
    short = channel_id.group(1).replace("-", "")[:8]
    _ok(
        _run(
            [
                "channel",
                "create",
                "Cooking",
                "--owner",
                "boss@example.com",
                "--niche",
                "food",
                "--format",
                "short",
                "--voice",
                "en-gb-x-rp",
            ],
            tmp_path,
        )
    )

    bad = _run(
        [
            "channel",
            "create",
            "",
            "--owner",
            "boss@example.com",
            "--niche",
            "x",
            "--language",
            "English",
            "--per-day",
            "0",
        ],
        tmp_path,
    )
    assert bad.returncode == 1
    assert "name must not be empty" in bad.stderr
    assert "--language is not a language code" in bad.stderr and "--per-day must be" in bad.stderr
    no_owner = _run(
        ["channel", "create", "X", "--owner", "who@example.com", "--niche", "x"], tmp_path
    )
    assert no_owner.returncode == 1 and "no user has the email who@example.com" in no_owner.stderr

    listing = _ok(_run(["channel", "list"], tmp_path, columns=80))
    widths = [len(line) for line in listing.splitlines()]
    assert max(widths) <= 80, listing
    assert short in listing and "Cooking" in listing

    shown = _ok(_run(["channel", "show", short], tmp_path))
    assert channel_id.group(1) in shown and "boss@example.com" in shown and "active" in shown
    by_name = _ok(_run(["channel", "show", "Cooking"], tmp_path))
    assert "en-gb-x-rp" in by_name and "short" in by_name
    missing = _run(["channel", "show", "deadbeef00"], tmp_path)
    assert missing.returncode == 1 and "channel not found" in missing.stderr

    assert "paused" in _ok(_run(["channel", "pause", short], tmp_path))
    assert "paused (owner)" in _ok(_run(["channel", "show", short], tmp_path))
    assert "active" in _ok(_run(["channel", "resume", short], tmp_path))

    refused = _run(["channel", "delete", short], tmp_path, stdin="n\n")
    assert refused.returncode == 1 and "The channel has no videos." in refused.stdout
    assert short in _ok(_run(["channel", "list"], tmp_path))
    deleted = _ok(_run(["channel", "delete", short, "--yes"], tmp_path))
    assert "channel deleted" in deleted and "The channel has no videos." in deleted
    assert short not in _ok(_run(["channel", "list"], tmp_path))
    gone = _run(["channel", "pause", short], tmp_path)
    assert gone.returncode == 1

    voices = _ok(_run(["channel", "voices", "--language", "en"], tmp_path, columns=120))
    assert "en-gb-x-rp" in voices and "alloy" in voices and "eSpeak en-us+m3" in voices
    assert " de " not in voices
