"""Chapters in the description: YouTube's rules (first at 0:00, at least three, each at
least ten seconds), and the old timestamp lines replaced where they were."""

from __future__ import annotations

from backend.publishing.metadata import chapter_lines, timestamp, with_chapters


def test_timestamps() -> None:
    assert [timestamp(s) for s in (0, 9.9, 61, 3599, 3600, 3725)] == [
        "0:00",
        "0:09",
        "1:01",
        "59:59",
        "1:00:00",
        "1:02:05",
    ]


def test_chapters_follow_youtubes_rules() -> None:
    entries = [(0.0, "Intro"), (12.0, "One"), (25.5, "Two"), (31.0, "Too close"), (40.0, "Three")]
    assert chapter_lines(entries, duration_s=70) == [
        "0:00 Intro",
        "0:12 One",
        "0:25 Two",
        "0:40 Three",
    ]
    # a short intro: the first scene opens the video instead
    assert chapter_lines([(0.0, "Intro"), (6.0, "One"), (20.0, "Two"), (35.0, "Three")]) == [
        "0:00 One",
        "0:20 Two",
        "0:35 Three",
    ]
    # the last chapter must last ten seconds; fewer than three chapters: none at all
    assert chapter_lines([(0.0, "Intro"), (15.0, "One"), (30.0, "Two")], duration_s=38) == []
    assert chapter_lines([(0.0, "Intro"), (15.0, "<b>One</b>  \n x"), (30.0, "Two")]) == [
        "0:00 Intro",
        "0:15 bOne/b x",
        "0:30 Two",
    ]


def test_with_chapters_replaces_the_old_lines_in_place() -> None:
    old = "The hook.\n\n0:00 Intro\n0:04 One\n0:20 Two\n\n#Mars #Space"
    lines = ["0:00 One", "0:20 Two", "0:35 Three"]
    assert with_chapters(old, lines) == (
        "The hook.\n\n0:00 One\n0:20 Two\n0:35 Three\n\n#Mars #Space"
    )
    assert with_chapters(old, []) == "The hook.\n\n#Mars #Space"
    assert with_chapters("The hook.\nMore.\n\n#Mars", lines) == (
        "The hook.\nMore.\n\n0:00 One\n0:20 Two\n0:35 Three\n\n#Mars"
    )
    assert with_chapters("Only a line", lines) == "Only a line\n\n0:00 One\n0:20 Two\n0:35 Three"
