"""Music: our own beds per mood (licence stated), a channel's own tracks, upload checks, and
the bed ducked under the voice, measured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.render.audio import SAMPLE_RATE, mix_soundtrack
from backend.render.errors import RenderInputError
from backend.render.music import (
    MAX_TRACK_BYTES,
    MOODS,
    RATE,
    add_track,
    builtin_dir,
    channel_tracks,
    check_track,
    music_dir_for,
    remove_track,
    synthesize,
)
from backend.render.samples import VOICE_RATE, speech_like, write_wav

CHANNEL = "5f0c4f6e-0000-4000-8000-000000000001"
LICENSE = Path(__file__).parents[3] / "backend" / "render" / "MUSIC_LICENSE.md"
DUCK_MIN_DB = 10.0


def test_every_mood_has_a_bed_of_its_own_and_the_licence_is_stated() -> None:
    beds = {mood: synthesize(mood, bars=2) for mood in MOODS}
    for mood, bed in beds.items():
        assert bed.dtype == np.float32 and bed.shape[1] == 2, mood
        peak = float(np.abs(bed).max())
        assert 0.3 < peak <= 1.0, mood
    # different moods are different music (tempo, key), not one loop renamed
    lengths = {len(bed) for bed in beds.values()}
    assert len(lengths) == len(MOODS)
    # deterministic: a lost cache is rebuilt identically
    assert np.array_equal(synthesize("upbeat", bars=2), beds["upbeat"])
    text = LICENSE.read_text(encoding="utf-8")
    assert "CC0" in text and "synthesises" in text


def test_unknown_mood_is_refused() -> None:
    with pytest.raises(RenderInputError, match="unknown music mood"):
        synthesize("jazzy")


def test_builtin_bed_is_written_once_and_channel_tracks_win(tmp_path: Path) -> None:
    folder = builtin_dir("calm", tmp_path)
    (track,) = folder.iterdir()
    assert track.suffix == ".wav" and track.stat().st_size > RATE * 4 * 20  # 20 s or more
    stamp = track.stat().st_mtime_ns
    assert builtin_dir("calm", tmp_path) == folder and track.stat().st_mtime_ns == stamp

    assert music_dir_for(tmp_path, CHANNEL, "calm") == folder
    assert music_dir_for(tmp_path, CHANNEL, "none") is None
    own = add_track(tmp_path, CHANNEL, "My Theme.wav", track.read_bytes())
    assert own.name == "My Theme.wav" and channel_tracks(tmp_path, CHANNEL) == [own]
    assert music_dir_for(tmp_path, CHANNEL, "calm") == own.parent
    assert music_dir_for(tmp_path, CHANNEL, "none") is None  # "none" still means none
    assert remove_track(tmp_path, CHANNEL, "My Theme.wav")
    assert channel_tracks(tmp_path, CHANNEL) == []


@pytest.mark.parametrize(
    ("name", "head", "size", "error"),
    [
        ("notes.txt", b"hello", 5, "not an audio type"),
        ("song.mp3", b"RIFF....WAVE", 100, "not MP3 audio"),
        ("song.wav", b"RIFF....WAVE", MAX_TRACK_BYTES + 1, "over the 40 MB limit"),
        ("song.wav", b"", 0, "empty"),
    ],
)
def test_uploads_are_checked(name: str, head: bytes, size: int, error: str) -> None:
    with pytest.raises(RenderInputError, match=error):
        check_track(name, head, size)


def test_upload_names_are_made_safe() -> None:
    assert check_track("../../etc/evil name!.wav", b"RIFF0000WAVE", 10) == "evil name_.wav"
    assert check_track("x.m4a", b"\x00\x00\x00\x20ftypM4A ", 10) == "x.m4a"
    assert check_track("a.FLAC", b"fLaC\x00", 10) == "a.flac"


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12))


def test_music_is_ducked_under_the_voice(tmp_path: Path) -> None:
    """The music alone (the mix minus the voice-only mix) is at least 10 dB lower while the
    voice speaks than in the pause between the two clips."""
    clip = write_wav(tmp_path / "voice.wav", speech_like(2.5, seed=3), VOICE_RATE)
    placed = [(clip, 1.0), (clip, 6.0)]
    total = 9.5
    bed = next(builtin_dir("calm", tmp_path / "music").iterdir())
    with_music = mix_soundtrack(placed, total, bed)
    voice_only = mix_soundtrack(placed, total, None)
    music = (with_music.samples - voice_only.samples).mean(axis=1)

    def part(a: float, b: float) -> np.ndarray:
        return music[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]

    under_voice = _rms_db(np.concatenate([part(1.6, 3.0), part(6.6, 8.0)]))
    in_pause = _rms_db(part(4.4, 5.6))  # after the release, before the next attack
    assert in_pause - under_voice >= DUCK_MIN_DB, (in_pause, under_voice)
    assert with_music.music_path == bed and with_music.voice is not None
