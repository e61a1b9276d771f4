"""Captions on the spoken word: real espeak-ng speech, real renders, onsets found in the audio.

The narration is read slowly with a comma after every word, so each word starts after a
silence that an energy detector finds in the rendered file's own soundtrack. Every caption
(in the SRT, and as burned into the picture) must start within 100 ms of the onset of its
first word.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import structlog
from PIL import Image

from ai.backends.base import WordTiming
from ai.backends.speech_espeak import EspeakSpeech
from backend.render import RenderResult, RenderScene, RenderSpec, render_video
from backend.render import captions as captions_module
from backend.render.caption_track import highlight_strip, write_caption_track
from backend.render.captions import (
    Cue,
    read_srt,
    read_words,
    scene_cues,
    words_json,
)
from backend.render.ffmpeg import ffmpeg_exe
from backend.render.layout import layout_for
from backend.render.overlays import ACCENT, caption_strip
from tests.backend.render.conftest import decode_audio

TOLERANCE_S = 0.100
RATE = 16_000
SCENE_TEXTS = [
    "Seven, bright, lanterns, drift, slowly, under, the, cold, dark, sea.",
    "Nobody, knows, why, these, fish, glow, so, brightly, tonight.",
]
FPS = 30


def _still(path: Path, size: tuple[int, int], shade: int) -> Path:
    """A dark still (nothing near white, so the captions are the only bright pixels)."""
    w, h = size
    ramp = np.linspace(20, 60, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    rgb = np.stack([ramp * 0.4, ramp * 0.6 + shade, ramp + 20], axis=-1).clip(0, 255)
    Image.fromarray(rgb.astype(np.uint8)).save(path)
    return path


def _espeak_scenes(folder: Path, texts: list[str], size: tuple[int, int]) -> list[RenderScene]:
    folder.mkdir(parents=True, exist_ok=True)
    engine = EspeakSpeech("espeakng_loader", {})
    scenes = []
    for i, text in enumerate(texts):
        audio = engine.synthesize(text, "en-us", 0.7)
        wav = folder / f"scene_{i:02d}.wav"
        wav.write_bytes(audio.data)
        # the voice step's round trip: words.json next to the WAV, read back for the render
        (folder / f"scene_{i:02d}.words.json").write_text(words_json(audio.words))
        words = read_words(folder / f"scene_{i:02d}.words.json")
        image = _still(folder / f"scene_{i:02d}.png", size, 10 * i)
        scenes.append(RenderScene(image, wav, text, words))
    return scenes


def onsets(
    samples: np.ndarray, rate: int, starts_s: tuple[float, ...] = (), min_gap_s: float = 0.06
) -> list[float]:
    """Where sound starts after at least ``min_gap_s`` of silence (5 ms frames, 35 dB under
    the loudest frame), and the first sound after each of ``starts_s`` (where one clip
    follows another, the pause between them may be shorter)."""
    frame = int(0.005 * rate)
    count = len(samples) // frame
    rms = np.sqrt((samples[: count * frame].reshape(count, frame) ** 2).mean(axis=1))
    db = 20 * np.log10(rms + 1e-9)
    loud = db > db.max() - 35
    found, quiet = set(), 10**9
    for index, is_loud in enumerate(loud):
        if is_loud:
            if quiet * 0.005 >= min_gap_s:
                found.add(index)
            quiet = 0
        else:
            quiet += 1
    for start in starts_s:
        after = np.flatnonzero(loud[round(start / 0.005) :])
        if len(after):
            found.add(round(start / 0.005) + int(after[0]))
    return [index * 0.005 for index in sorted(found)]


@pytest.fixture(scope="module")
def spoken_render(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    root = tmp_path_factory.mktemp("spoken")
    spec = RenderSpec(
        scenes=_espeak_scenes(root / "scenes", SCENE_TEXTS, (1920, 1080)),
        title="Lanterns of the Deep",
        out_dir=root / "out",
        music_dir=None,  # nothing under the voice: its pauses stay silent
        intro_text="Captions on the spoken word",
        basename="spoken",
        fps=FPS,
    )
    return render_video(spec)


def _word_onsets(result: RenderResult) -> list[float]:
    clip_starts = tuple(
        result.intro_s + sum(result.clip_seconds[:k]) for k in range(1, len(result.clip_seconds))
    )
    found = onsets(decode_audio(result.video_path, RATE), RATE, clip_starts)
    words = sum(len(t.split()) for t in SCENE_TEXTS)
    assert len(found) == words, f"{len(found)} onsets for {words} words: {found}"
    return found


def _first_word_index(cues: list[Cue]) -> list[int]:
    """Index (over the whole narration) of each cue's first word."""
    index, firsts = 0, []
    for cue in cues:
        firsts.append(index)
        index += len(cue.text.split())
    return firsts


def test_srt_cues_start_on_the_onset_of_their_first_word(spoken_render: RenderResult) -> None:
    onset = _word_onsets(spoken_render)
    cues = read_srt(spoken_render.srt_path)
    assert len(cues) >= 4
    assert " ".join(c.text for c in cues).split() == " ".join(SCENE_TEXTS).split()
    for cue, first in zip(cues, _first_word_index(cues), strict=True):
        assert abs(cue.start_s - onset[first]) <= TOLERANCE_S, (cue, onset[first])


def _caption_changes(result: RenderResult) -> list[float]:
    """Times (s) at which the bright caption pixels in the caption strip change."""
    layout = layout_for("long")
    width = 480
    height = round(layout.caption_strip_h * width / layout.width)
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(result.video_path),
            "-vf",
            f"crop={layout.width}:{layout.caption_strip_h}:0:{layout.caption_y},"
            f"scale={width}:{height},format=gray",
            "-f",
            "rawvideo",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width) > 200
    changed = (frames[1:] ^ frames[:-1]).sum(axis=(1, 2)) > 40
    appears = frames[1:].sum(axis=(1, 2)) > 40
    return [(i + 1) / FPS for i in np.flatnonzero(changed & appears)]


def test_burned_in_captions_appear_on_the_onset_of_their_first_word(
    spoken_render: RenderResult,
) -> None:
    onset = _word_onsets(spoken_render)
    cues = read_srt(spoken_render.srt_path)
    changes = _caption_changes(spoken_render)
    assert len(changes) >= len(cues)
    for cue, first in zip(cues, _first_word_index(cues), strict=True):
        nearest = min(changes, key=lambda t: abs(t - onset[first]))
        assert abs(nearest - onset[first]) <= TOLERANCE_S, (cue.text, nearest, onset[first])


def test_without_engine_timings_cues_are_estimated_and_it_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "Far beneath the waves sunlight fades, and the water turns cold and dark."
    # a fresh logger: the module's may be cached with the processors of an earlier config
    monkeypatch.setattr(captions_module, "log", structlog.get_logger("test"))
    with structlog.testing.capture_logs() as logs:
        estimated = scene_cues(text, None, 2.0, 6.0, 42, scene=3)
    assert estimated[0].start_s == 2.0 and estimated[-1].end_s == pytest.approx(8.0)
    assert all(not c.words for c in estimated)
    assert any(e["event"] == "captions.estimated" and e["scene"] == 3 for e in logs)


def test_timed_cues_follow_the_words_not_the_text_length() -> None:
    text = "One two three four five six seven eight nine ten eleven twelve thirteen fourteen."
    tokens = text.split()
    # a long silence before "nine": length-proportional timing would put it far earlier
    words = [
        WordTiming(t, i * 0.3 + (4.0 if i >= 8 else 0.0), i * 0.3 + 0.25)
        for i, t in enumerate(tokens)
    ]
    words = [WordTiming(w.word, w.start_s, max(w.start_s + 0.25, w.end_s)) for w in words]
    cues = scene_cues(text, words, 10.0, 10.0, 42)
    assert len(cues) >= 2
    second_first = len(cues[0].text.split())
    assert cues[1].start_s == pytest.approx(10.0 + words[second_first].start_s)
    assert cues[0].end_s <= cues[1].start_s
    assert [w.word for c in cues for w in c.words] == tokens


def test_words_json_round_trip_and_malformed(tmp_path: Path) -> None:
    words = (WordTiming("Hi,", 0.0, 0.2), WordTiming("there", 0.3, 0.6))
    path = tmp_path / "scene_01.words.json"
    path.write_text(words_json(words))
    assert read_words(path) == words
    path.write_text(words_json(None))
    assert read_words(path) is None
    path.write_text('{"words": [{"word": "x"}]}')
    with pytest.raises(ValueError, match="malformed word timings"):
        read_words(path)


def _accent_columns(strip: Image.Image) -> np.ndarray:
    rgba = np.asarray(strip).astype(int)
    r, g, _ = ACCENT[:3]
    near = (abs(rgba[..., 0] - r) < 30) & (abs(rgba[..., 1] - g) < 30) & (rgba[..., 2] < 60)
    return np.flatnonzero(near.any(axis=0))


def test_word_highlight_lights_each_word_in_turn() -> None:
    layout = layout_for("short")
    text = "Glowing fish talk in light"
    assert len(_accent_columns(caption_strip(text, layout))) == 0
    centres = []
    for k in range(len(text.split())):
        columns = _accent_columns(highlight_strip(text, k, layout))
        assert len(columns) > 10, k
        centres.append(columns.mean())
    lines_first_word = [0] + [i for i in range(1, len(centres)) if centres[i] < centres[i - 1]]
    assert len(lines_first_word) <= layout.caption_lines
    # within a line, the lit word moves right
    for k in range(1, len(centres)):
        if k not in lines_first_word:
            assert centres[k] > centres[k - 1]


def test_word_highlight_track_changes_picture_at_every_word(tmp_path: Path) -> None:
    layout = layout_for("short")
    words = (
        WordTiming("Glowing", 1.0, 1.3),
        WordTiming("fish", 1.5, 1.8),
        WordTiming("talk", 2.2, 2.5),
    )
    cue = Cue(1.0, 3.0, "Glowing fish talk", words)
    listing = write_caption_track([cue], 4.0, layout, tmp_path, style="word_highlight")
    durations = [
        float(line.split()[1])
        for line in listing.read_text().splitlines()
        if line.startswith("duration")
    ]
    assert durations == pytest.approx([1.0, 0.5, 0.7, 0.8, 1.0])
    with pytest.raises(ValueError, match="caption style"):
        write_caption_track([cue], 4.0, layout, tmp_path, style="karaoke")


def test_short_render_with_word_highlight(tmp_path: Path) -> None:
    scenes = _espeak_scenes(tmp_path / "scenes", ["Glowing, fish, talk, in, light."], (1080, 1920))
    spec = RenderSpec(
        scenes=scenes,
        title="Glowing fish",
        out_dir=tmp_path / "out",
        fmt="short",
        music_dir=None,
        card_s=0,
        basename="short",
        caption_style="word_highlight",
    )
    result = render_video(spec)
    assert (result.width, result.height) == (1080, 1920)
    words = scenes[0].words
    assert words is not None
    layout = layout_for("short")
    lit = []
    for word in words[:3]:
        frame = _frame(result.video_path, (word.start_s + word.end_s) / 2)
        strip = frame[layout.caption_y : layout.caption_y + layout.caption_strip_h]
        yellow = (
            (strip[..., 0] > 200)
            & (strip[..., 1] > 150)
            & (strip[..., 1] < 230)
            & (strip[..., 2] < 90)
        )
        columns = np.flatnonzero(yellow.any(axis=0))
        assert len(columns) > 10, word
        lit.append(columns.mean())
    assert lit[0] != pytest.approx(lit[1], abs=20) and lit[1] != pytest.approx(lit[2], abs=20)
    with pytest.raises(Exception, match="caption style"):
        render_video(RenderSpec(scenes, "x", tmp_path / "bad", caption_style="karaoke"))


def _frame(path: Path, seconds: float) -> np.ndarray:
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-ss",
            f"{seconds}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(1920, 1080, 3)
