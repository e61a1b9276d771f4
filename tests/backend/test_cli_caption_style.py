"""``ytempire channel update --caption-style``: the Shorts' caption style in the channel's style."""

from __future__ import annotations

from pathlib import Path

from tests.backend.test_cli import _run


def test_caption_style_is_set_shown_and_checked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(["migrate"], data).returncode == 0
    made = _run(
        ["user", "create", "cc@example.com", "--password-stdin"], data, "a sturdy password\n"
    )
    assert made.returncode == 0, made.stderr
    created = _run(
        ["channel", "create", "Glow", "--owner", "cc@example.com", "--niche", "ocean"], data
    )
    assert created.returncode == 0, created.stderr
    before = _run(["channel", "show", "Glow"], data)
    assert "shorts captions" in before.stdout and "word_highlight" not in before.stdout

    updated = _run(["channel", "update", "Glow", "--caption-style", "word_highlight"], data)
    assert updated.returncode == 0, updated.stderr
    assert "word_highlight" in updated.stdout
    shown = _run(["channel", "show", "Glow"], data)
    assert "word_highlight" in shown.stdout, shown.stdout

    refused = _run(["channel", "update", "Glow", "--caption-style", "karaoke"], data)
    assert refused.returncode == 1 and "caption_style" in refused.stderr
