"""``ytempire channel update --music-mood/--shorts`` and the music-list/add/remove commands."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from tests.backend.test_cli import _run


def _wav(path: Path) -> Path:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 4000)
    path.write_bytes(out.getvalue())
    return path


def test_music_mood_shorts_and_own_tracks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(["migrate"], data).returncode == 0
    made = _run(
        ["user", "create", "dj@example.com", "--password-stdin"], data, "a sturdy password\n"
    )
    assert made.returncode == 0, made.stderr
    created = _run(
        ["channel", "create", "Beats", "--owner", "dj@example.com", "--niche", "music"], data
    )
    assert created.returncode == 0, created.stderr

    updated = _run(["channel", "update", "Beats", "--music-mood", "upbeat", "--shorts"], data)
    assert updated.returncode == 0, updated.stderr
    assert "built-in upbeat bed (CC0)" in updated.stdout
    assert "shorts" in updated.stdout and "on" in updated.stdout

    added = _run(["channel", "music-add", "Beats", str(_wav(tmp_path / "theme.wav"))], data)
    assert added.returncode == 0 and "added theme.wav" in added.stdout, added.stderr
    fake = tmp_path / "fake.mp3"
    fake.write_text("not audio")
    refused = _run(["channel", "music-add", "Beats", str(fake)], data)
    assert refused.returncode == 1 and "not MP3 audio" in refused.stderr
    listed = _run(["channel", "music-list", "Beats"], data)
    assert "own tracks (1), mood upbeat" in listed.stdout and "theme.wav" in listed.stdout
    assert "fake.mp3" not in listed.stdout
    removed = _run(["channel", "music-remove", "Beats", "theme.wav"], data)
    assert removed.returncode == 0 and "removed theme.wav" in removed.stdout
