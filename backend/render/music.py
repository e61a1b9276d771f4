"""The project's own music beds, synthesised with numpy, one per mood, and a channel's own
tracks.

Every built-in bed is generated here from code (chords, an arpeggio, soft percussion):
no sample, no third-party recording, so the project owns it outright and releases it as
CC0 (see ``MUSIC_LICENSE.md`` next to this file). A bed is rendered once per mood into a
cache folder and reused; generation is deterministic, so a lost cache is rebuilt
identically.

A channel's own tracks live in ``<music root>/<channel id>/``; when a channel has any,
they are used instead of the built-in bed of its mood.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from backend.render.errors import RenderInputError

log = structlog.get_logger(__name__)

RATE = 48_000
MOODS = ("calm", "upbeat", "dramatic")
NO_MUSIC = "none"
BUILTIN_FOLDER = "_builtin"
GENERATOR_VERSION = 1  # part of the file name: a changed generator writes a new file
TRACK_SUFFIXES = frozenset({".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".flac", ".opus"})
MAX_TRACK_BYTES = 40 * 1024 * 1024
# The first bytes of each accepted container, so a renamed file of another kind is refused.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".wav": (b"RIFF",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa"),
    ".flac": (b"fLaC",),
    ".ogg": (b"OggS",),
    ".oga": (b"OggS",),
    ".opus": (b"OggS",),
    ".m4a": (b"ftyp",),  # at offset 4
    ".aac": (b"\xff\xf1", b"\xff\xf9", b"ADIF"),
}


@dataclass(frozen=True)
class Mood:
    bpm: float
    chords: tuple[tuple[float, ...], ...]  # MIDI notes, one chord per bar
    pad_level: float
    arp_level: float
    arp_steps: int  # arpeggio notes per beat (0: none)
    kick: bool
    hat: bool
    bass_level: float


def _m(*notes: int) -> tuple[float, ...]:
    return tuple(float(n) for n in notes)


MOOD_PRESETS: dict[str, Mood] = {
    # A minor, F, C, G: slow and open.
    "calm": Mood(
        bpm=72,
        chords=(_m(57, 60, 64), _m(53, 57, 60), _m(48, 55, 60, 64), _m(55, 59, 62)),
        pad_level=0.30,
        arp_level=0.10,
        arp_steps=1,
        kick=False,
        hat=False,
        bass_level=0.12,
    ),
    # C, G, A minor, F with a steady pulse.
    "upbeat": Mood(
        bpm=112,
        chords=(_m(60, 64, 67), _m(55, 59, 62), _m(57, 60, 64), _m(53, 57, 60)),
        pad_level=0.16,
        arp_level=0.16,
        arp_steps=2,
        kick=True,
        hat=True,
        bass_level=0.16,
    ),
    # D minor, B flat, G minor, A: low and heavy.
    "dramatic": Mood(
        bpm=84,
        chords=(_m(50, 53, 57), _m(46, 50, 53), _m(43, 46, 50), _m(45, 49, 52)),
        pad_level=0.28,
        arp_level=0.08,
        arp_steps=1,
        kick=True,
        hat=False,
        bass_level=0.22,
    ),
}


def _hz(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def _pad(freqs: tuple[float, ...], n: int, t: np.ndarray, detune: float) -> np.ndarray:
    out = np.zeros(n, dtype=np.float64)
    for f in freqs:
        for cents in (-detune, detune):
            g = f * 2 ** (cents / 1200)
            out += np.sin(2 * np.pi * g * t) + 0.25 * np.sin(4 * np.pi * g * t)
    return out / (2.5 * len(freqs))


def _pluck(freq: float, n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
    return tone * np.exp(-t * 7.0) * np.minimum(1.0, t / 0.004)


def _kick(n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    sweep = 2 * np.pi * (45 * t + 60 * (1 - np.exp(-t * 30)) / 30)
    return np.sin(sweep) * np.exp(-t * 9.0)


def _hat(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / RATE
    noise = rng.standard_normal(n)
    bright = noise - np.concatenate([[0.0], noise[:-1]])  # first difference: a high-pass
    return bright * np.exp(-t * 60.0) * 0.25


def synthesize(mood: str, bars: int | None = None) -> np.ndarray:
    """``bars`` bars (by default a multiple of 4 lasting at least 24 s) of the mood's bed as
    float32 stereo at :data:`RATE`, seamless to loop."""
    if mood not in MOOD_PRESETS:
        raise RenderInputError(f"unknown music mood {mood!r}; use one of {list(MOODS)}")
    preset = MOOD_PRESETS[mood]
    rng = np.random.default_rng(GENERATOR_VERSION)
    beat = 60.0 / preset.bpm
    if bars is None:
        bars = 4 * math.ceil(24.0 / (16 * beat))
    bar_n = round(4 * beat * RATE)
    n = bar_n * bars
    left = np.zeros(n)
    right = np.zeros(n)
    t_bar = np.arange(bar_n) / RATE
    swell = 0.6 + 0.4 * np.sin(np.pi * t_bar / t_bar[-1])  # each chord breathes
    for b in range(bars):
        chord = preset.chords[b % len(preset.chords)]
        freqs = tuple(_hz(x) for x in chord)
        s = slice(b * bar_n, (b + 1) * bar_n)
        pad = _pad(freqs, bar_n, t_bar, 6.0) * swell * preset.pad_level
        bass = np.sin(2 * np.pi * _hz(chord[0] - 12) * t_bar) * preset.bass_level
        bass *= np.minimum(1.0, t_bar / 0.02) * np.exp(-t_bar * 0.8)
        left[s] += pad + bass
        right[s] += pad + bass
        if preset.arp_steps:
            step_n = round(beat * RATE / preset.arp_steps)
            steps = 4 * preset.arp_steps
            for k in range(steps):
                note = chord[k % len(chord)] + (12 if (k // len(chord)) % 2 else 0)
                start = b * bar_n + k * step_n
                length = min(step_n * 3, n - start)
                tone = _pluck(_hz(note), length) * preset.arp_level
                pan = 0.5 + 0.35 * np.sin(k)  # spread the notes across the stereo field
                left[start : start + length] += tone * (1 - pan) * 2
                right[start : start + length] += tone * pan * 2
        for k in range(4):
            start = b * bar_n + round(k * beat * RATE)
            length = min(round(beat * RATE), n - start)
            if preset.kick and (k % 2 == 0 or mood == "upbeat"):
                hit = _kick(length) * 0.35
                left[start : start + length] += hit
                right[start : start + length] += hit
            if preset.hat:
                off = start + round(beat * RATE / 2)
                hl = min(round(beat * RATE / 2), n - off)
                if hl > 0:
                    h = _hat(hl, rng)
                    left[off : off + hl] += h * 0.8
                    right[off : off + hl] += h
    # Cross the loop seam: the tail of the last bar rings into the start.
    tail = round(0.05 * RATE)
    ramp = np.linspace(0.0, 1.0, tail)
    for ch in (left, right):
        ch[:tail] *= ramp
        ch[-tail:] *= ramp[::-1]
    stereo = np.stack([left, right], axis=1)
    peak = float(np.abs(stereo).max()) or 1.0
    return (stereo * (0.7 / peak)).astype(np.float32)


def _write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    tmp.replace(path)  # a reader never sees half a file


def builtin_dir(mood: str, root: Path) -> Path:
    """The folder holding the mood's generated bed, written on first use under ``root``."""
    folder = root / BUILTIN_FOLDER / mood
    path = folder / f"{mood}-v{GENERATOR_VERSION}.wav"
    if not path.is_file():
        samples = synthesize(mood)
        folder.mkdir(parents=True, exist_ok=True)
        _write_wav(path, samples)
        log.info("render.music_generated", mood=mood, seconds=round(len(samples) / RATE, 1))
    return folder


def channel_dir(root: Path, channel_id: str) -> Path:
    return root / str(channel_id)


def channel_tracks(root: Path, channel_id: str) -> list[Path]:
    folder = channel_dir(root, channel_id)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TRACK_SUFFIXES)


def music_dir_for(root: Path, channel_id: str, mood: str) -> Path | None:
    """Where a channel's render picks its music: its own tracks if it has any, else the
    built-in bed of ``mood``; ``None`` for the mood ``none``."""
    if mood == NO_MUSIC:
        return None
    if channel_tracks(root, channel_id):
        return channel_dir(root, channel_id)
    return builtin_dir(mood, root)


def check_track(name: str, head: bytes, size: int) -> str:
    """The safe file name for an uploaded track, or :class:`RenderInputError` saying why not."""
    safe = Path(name).name.strip()
    suffix = Path(safe).suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise RenderInputError(
            f"{safe or 'the file'}: not an audio type we take; use one of "
            f"{', '.join(sorted(TRACK_SUFFIXES))}"
        )
    if size <= 0:
        raise RenderInputError(f"{safe}: the file is empty")
    if size > MAX_TRACK_BYTES:
        raise RenderInputError(
            f"{safe}: {size / 1e6:.1f} MB is over the {MAX_TRACK_BYTES // (1024 * 1024)} MB limit"
        )
    magic = head[4:8] if suffix == ".m4a" else head
    if not any(magic.startswith(m) for m in _MAGIC[suffix]):
        raise RenderInputError(f"{safe}: the content is not {suffix[1:].upper()} audio")
    stem = "".join(c if c.isalnum() or c in "-_ " else "_" for c in Path(safe).stem).strip()
    return f"{stem or 'track'}{suffix}"


def add_track(root: Path, channel_id: str, name: str, data: bytes) -> Path:
    """Store an uploaded track for the channel (validated by :func:`check_track`)."""
    safe = check_track(name, data[:16], len(data))
    folder = channel_dir(root, channel_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    tmp = folder / f".{safe}.part"
    tmp.write_bytes(data)
    tmp.replace(path)
    log.info("render.music_track_added", channel_id=str(channel_id), track=safe, bytes=len(data))
    return path


def remove_track(root: Path, channel_id: str, name: str) -> bool:
    path = channel_dir(root, channel_id) / Path(name).name
    if path.is_file() and path.suffix.lower() in TRACK_SUFFIXES:
        path.unlink()
        return True
    return False
