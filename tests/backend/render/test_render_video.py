"""End-to-end renders: streams, size, length, subtitles, loudness, music, progress."""

from __future__ import annotations

import itertools

import numpy as np

from backend.render import RenderResult, probe
from backend.render.captions import read_srt
from backend.render.layout import layout_for
from backend.render.samples import MUSIC_CHORD_HZ
from tests.backend.render.conftest import (
    SCENE_S,
    SCENES,
    band_db,
    decode_audio,
    frame_at,
    integrated_loudness,
)

RATE = 48_000
MUSIC_BAND = (MUSIC_CHORD_HZ[0] - 5, MUSIC_CHORD_HZ[0] + 5)  # the voice has nothing there


def test_long_render_is_1080p_h264_aac(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    info = probe(result.video_path)
    assert info.video is not None and info.video.codec == "h264"
    assert info.audio is not None and info.audio.codec == "aac"
    assert (info.width, info.height) == (1920, 1080)
    assert result.encoder in {"libx264", "h264_nvenc"}


def test_duration_is_narration_plus_cards(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    expected = SCENES * SCENE_S + result.intro_s + result.outro_s
    assert result.intro_s == result.outro_s == 2.0
    assert abs(result.narration_s - SCENES * SCENE_S) < 0.05
    assert abs(probe(result.video_path).readable_s - expected) <= 0.5


def test_clip_seconds_are_each_narration_clips_measured_length(
    long_render: tuple[RenderResult, list[float]],
) -> None:
    result, _ = long_render
    assert len(result.clip_seconds) == SCENES
    assert all(abs(d - SCENE_S) < 0.05 for d in result.clip_seconds)
    assert abs(sum(result.clip_seconds) - result.narration_s) < 0.01


def test_srt_cues_are_ordered_inside_the_narration(
    long_render: tuple[RenderResult, list[float]],
) -> None:
    result, _ = long_render
    cues = read_srt(result.srt_path)
    assert len(cues) >= SCENES
    assert cues[0].start_s >= result.intro_s - 0.05  # offset by the intro card
    assert cues[-1].end_s <= result.intro_s + result.narration_s + 0.05
    for before, after in itertools.pairwise(cues):
        assert before.start_s < before.end_s <= after.start_s + 1e-3
    assert all(len(c.text) <= layout_for("long").caption_chars for c in cues)


def test_captions_are_burned_in(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    cue = read_srt(result.srt_path)[1]
    layout = layout_for("long")
    strip = frame_at(result.video_path, (cue.start_s + cue.end_s) / 2)[layout.caption_y :]
    white = np.all(strip > 225, axis=2).sum()
    black = np.all(strip < 30, axis=2).sum()
    assert white > 2000 and black > 2000  # white letters with a dark outline


def test_loudness_is_about_minus_14_lufs(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    assert abs(integrated_loudness(result.video_path) - -14.0) <= 1.5


def test_music_plays_in_the_cards_and_ducks_under_speech(
    long_render: tuple[RenderResult, list[float]],
) -> None:
    result, _ = long_render
    assert result.music_path is not None and result.music_path.name == "pad.wav"
    audio = decode_audio(result.video_path, RATE)
    in_intro = band_db(audio, RATE, 0.8, 1.6, *MUSIC_BAND)
    under_voice = band_db(audio, RATE, result.intro_s + 1.2, result.intro_s + 2.0, *MUSIC_BAND)
    assert in_intro - under_voice >= 8.0


def test_no_music_without_a_music_dir(short_render: RenderResult) -> None:
    assert short_render.music_path is None
    audio = decode_audio(short_render.video_path, RATE)
    voice = band_db(audio, RATE, short_render.intro_s + 0.5, short_render.intro_s + 1.5, 0, 4000)
    intro_music = band_db(audio, RATE, 0.5, 1.5, *MUSIC_BAND)
    assert voice - intro_music >= 40.0


def test_short_render_is_portrait_1080x1920(short_render: RenderResult) -> None:
    info = probe(short_render.video_path)
    assert (info.width, info.height) == (1080, 1920)
    assert info.video is not None and info.video.codec == "h264"
    assert abs(info.readable_s - short_render.expected_duration_s) <= 0.5


def test_progress_rises_to_one(long_render: tuple[RenderResult, list[float]]) -> None:
    _, progress = long_render
    assert progress[0] == 0.0 and progress[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(progress))
    assert len(progress) > 3
