"""Pure pieces of the renderer: captions, timeline, motion, music choice, ducking."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from backend.render import RenderInputError, RenderScene, RenderSpec, render_video
from backend.render.audio import SAMPLE_RATE, duck_gain, pick_music
from backend.render.captions import chunk_narration, read_srt, time_chunks, write_srt
from backend.render.motion import plan_motions
from backend.render.timeline import build_timeline

TEXT = (
    "The ocean covers most of our planet, yet we have explored very little of it. "
    "Deep below the waves, strange creatures glow in the dark!"
)


def test_chunks_are_short_and_keep_every_word() -> None:
    chunks = chunk_narration(TEXT, max_chars=30)
    assert all(len(c) <= 30 for c in chunks)
    assert " ".join(chunks).split() == TEXT.split()
    assert any(c.endswith("it.") for c in chunks)  # breaks at the sentence end


def test_cues_fill_the_scene_in_proportion_to_length(tmp_path: Path) -> None:
    chunks = ["a short one", "a much much longer caption line"]
    cues = time_chunks(chunks, start_s=2.0, duration_s=6.0)
    assert cues[0].start_s == 2.0 and abs(cues[-1].end_s - 8.0) < 1e-3
    assert cues[1].end_s - cues[1].start_s > cues[0].end_s - cues[0].start_s
    assert read_srt(write_srt(cues, tmp_path / "a.srt")) == cues


def test_timeline_is_cards_plus_narration_in_whole_frames() -> None:
    timeline = build_timeline([3.3, 4.1, 2.0], fps=30, card_s=2.0, crossfade_s=0.5)
    assert timeline.total_frames == round((2 + 3.3 + 4.1 + 2.0 + 2) * 30)
    assert [s.kind for s in timeline.segments] == ["intro", "scene", "scene", "scene", "outro"]
    assert timeline.crossfade_frames == 15
    starts = [s.start_frame for s in timeline.segments]
    assert starts == sorted(starts) and timeline.card_s("intro") == 2.0


def test_crossfade_is_clamped_for_tiny_segments() -> None:
    timeline = build_timeline([0.4, 0.4], fps=30, card_s=0, crossfade_s=1.0)
    assert timeline.crossfade_frames == 6  # half the shortest segment
    assert timeline.total_frames == 24


def test_motions_are_deterministic_varied_and_inside_the_image() -> None:
    bases = [(1920.0, 1080.0)] * 8
    first = plan_motions("video-1", bases, (1920, 1080))
    assert first == plan_motions("video-1", bases, (1920, 1080))
    assert all(a.kind != b.kind for a, b in itertools.pairwise(first))
    assert len({m.kind for m in first}) >= 3
    for motion in first:
        left, top, right, bottom = motion.box()
        assert left >= -1e-6 and top >= -1e-6 and right <= 1920 + 1e-6 and bottom <= 1080 + 1e-6


def test_portrait_from_landscape_pans_sideways() -> None:
    motions = plan_motions("short", [(3413.0, 1920.0)] * 4, (1080, 1920))
    assert {m.kind for m in motions} <= {"pan_left", "pan_right"}


def test_music_pick_is_deterministic_and_none_when_empty(tmp_path: Path) -> None:
    assert pick_music(None, "x") is None
    assert pick_music(tmp_path, "x") is None
    for name in ("a.mp3", "b.wav", "c.ogg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    picks = {pick_music(tmp_path, f"video-{i}") for i in range(20)}
    assert pick_music(tmp_path, "video-3") == pick_music(tmp_path, "video-3")
    assert picks <= {tmp_path / "a.mp3", tmp_path / "b.wav", tmp_path / "c.ogg"}
    assert len(picks) > 1


def test_duck_gain_is_low_under_speech_and_high_in_silence() -> None:
    voice = np.zeros((SAMPLE_RATE * 6, 2), dtype=np.float32)
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    voice[SAMPLE_RATE * 2 : SAMPLE_RATE * 4] = (0.3 * np.sin(2 * np.pi * 200 * t))[:, None]
    gain_db = 20 * np.log10(duck_gain(voice, bed_db=-12.0, duck_db=-26.0))
    assert gain_db[SAMPLE_RATE] == pytest.approx(-12.0, abs=0.1)
    assert gain_db[SAMPLE_RATE * 3] == pytest.approx(-26.0, abs=0.1)
    assert gain_db[int(SAMPLE_RATE * 5.5)] == pytest.approx(-12.0, abs=0.1)


def test_bad_specs_are_refused_before_any_work(tmp_path: Path) -> None:
    missing = RenderScene(tmp_path / "none.png", tmp_path / "none.wav", "hello")
    with pytest.raises(RenderInputError, match="does not exist"):
        render_video(RenderSpec(scenes=[missing], title="T", out_dir=tmp_path))
    with pytest.raises(RenderInputError, match="at least one scene"):
        render_video(RenderSpec(scenes=[], title="T", out_dir=tmp_path))


def test_no_caption_is_a_stranded_word() -> None:
    chunks = chunk_narration(
        "Scientists have mapped less than a quarter of the sea floor, and every dive finds "
        "something"
    )
    assert chunks[-1] != "something" and all(len(c.split()) > 1 for c in chunks)
