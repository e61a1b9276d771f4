"""The soundtrack: narration placed on the timeline, music looped and ducked under it.

moviepy composes the clips (placement, looping, resampling through ffmpeg); the ducking
envelope and the mix are numpy over whole arrays. Loudness is measured here with ffmpeg's
``ebur128`` so the final encode can normalise with one gain and a peak limiter.
"""

from __future__ import annotations

import random
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog
from moviepy import AudioClip, AudioFileClip, CompositeAudioClip, afx

from backend.render.errors import RenderError
from backend.render.ffmpeg import run_ffmpeg

log = structlog.get_logger(__name__)

SAMPLE_RATE = 48_000
MUSIC_SUFFIXES = frozenset({".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".flac", ".opus"})
TARGET_LUFS = -14.0
TRUE_PEAK_DB = -1.5
MUSIC_BED_DB = -12.0  # music level against the voice where nobody speaks
MUSIC_DUCK_DB = -26.0  # ... and under speech
ENVELOPE_WINDOW_S = 0.02
ATTACK_S = 0.15
RELEASE_S = 0.6
VOICE_GATE_DB = -35.0  # windows this far below the voice's loud parts count as silence


@dataclass(frozen=True)
class Soundtrack:
    samples: np.ndarray  # float32, shape (n, 2)
    music_path: Path | None
    voice: np.ndarray | None = None  # the narration alone, as placed (render QA listens)


def audio_duration(path: Path) -> float:
    if not path.is_file():
        raise RenderError(f"narration audio {path} does not exist")
    with AudioFileClip(str(path)) as clip:
        return float(clip.duration)


def pick_music(music_dir: Path | None, seed: str) -> Path | None:
    """A deterministic pick among the audio files in ``music_dir``; ``None`` if there are none."""
    if music_dir is None or not music_dir.is_dir():
        return None
    tracks = sorted(p for p in music_dir.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES)
    return random.Random(seed).choice(tracks) if tracks else None


def _stereo(samples: np.ndarray, n: int) -> np.ndarray:
    samples = samples.reshape(len(samples), -1)[:n]
    if samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    out = np.zeros((n, 2), dtype=np.float32)
    out[: len(samples)] = samples[:, :2]
    return out


def _render(clip: AudioClip, n: int) -> np.ndarray:
    return _stereo(clip.to_soundarray(fps=SAMPLE_RATE, quantize=False, buffersize=SAMPLE_RATE), n)


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-9))


def duck_gain(voice: np.ndarray, bed_db: float, duck_db: float) -> np.ndarray:
    """Per-sample music gain: ``bed_db`` in silence, ``duck_db`` under speech, with a short
    attack (starting just before speech) and a slower release."""
    hop = int(ENVELOPE_WINDOW_S * SAMPLE_RATE)
    frames = len(voice) // hop
    mono = np.abs(voice[: frames * hop]).max(axis=1).reshape(frames, hop)
    level = 20 * np.log10(np.sqrt(np.mean(np.square(mono), axis=1)) + 1e-9)
    loud = np.percentile(level, 95) if frames else 0.0
    speech = (level > loud + VOICE_GATE_DB).astype(np.float32)
    # Hold through short pauses (release) and open slightly early (look-ahead attack).
    release = max(1, int(RELEASE_S / ENVELOPE_WINDOW_S))
    attack = max(1, int(ATTACK_S / ENVELOPE_WINDOW_S))
    held = np.convolve(speech, np.ones(release + attack), mode="full")
    held = (held[attack : attack + frames] > 0).astype(np.float32)
    smooth = np.convolve(held, np.ones(attack) / attack, mode="same")
    gain_db = bed_db + (duck_db - bed_db) * np.clip(smooth, 0, 1)
    per_window = np.power(10, gain_db / 20).astype(np.float32)
    centers = (np.arange(frames) + 0.5) * hop
    return np.interp(np.arange(len(voice)), centers, per_window).astype(np.float32)


def _fade(samples: np.ndarray, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    n = len(samples)
    ramp = np.ones(n, dtype=np.float32)
    fi, fo = min(n, int(fade_in_s * SAMPLE_RATE)), min(n, int(fade_out_s * SAMPLE_RATE))
    if fi:
        ramp[:fi] = np.linspace(0, 1, fi, dtype=np.float32)
    if fo:
        ramp[n - fo :] *= np.linspace(1, 0, fo, dtype=np.float32)
    return samples * ramp[:, None]


def mix_soundtrack(
    narration: list[tuple[Path, float]], total_s: float, music: Path | None
) -> Soundtrack:
    """Narration clips at their start times, plus ducked music when ``music`` is given."""
    n = round(total_s * SAMPLE_RATE)
    clips = [
        AudioFileClip(str(path), fps=SAMPLE_RATE).with_start(start) for path, start in narration
    ]
    try:
        voice = _render(CompositeAudioClip(clips).with_duration(total_s), n)
    finally:
        for clip in clips:
            clip.close()
    if music is None:
        return Soundtrack(_fade(voice, 0.02, 0.6), None, voice)
    with AudioFileClip(str(music), fps=SAMPLE_RATE) as track:
        bed = _render(track.with_effects([afx.AudioLoop(duration=total_s)]), n)
    # Level the music against the voice, then duck it wherever the voice speaks.
    spoken = voice[np.abs(voice).max(axis=1) > 1e-4]
    offset_db = (_rms_db(spoken) if len(spoken) else -20.0) - _rms_db(bed)
    bed *= np.float32(10 ** (offset_db / 20))
    gain = duck_gain(voice, MUSIC_BED_DB, MUSIC_DUCK_DB)
    mix = voice + _fade(bed * gain[:, None], 1.0, 1.5)
    log.info("render.music_mixed", music=music.name, level_offset_db=round(offset_db, 1))
    return Soundtrack(_fade(mix, 0.02, 0.6), music, voice)


def write_raw(samples: np.ndarray, path: Path) -> Path:
    """Interleaved float32 little-endian, read back by ffmpeg as ``-f f32le``."""
    path.write_bytes(samples.astype("<f4").tobytes())
    return path


NARRATION_TRACK_RATE = 16_000


def write_narration_wav(voice: np.ndarray, path: Path) -> Path:
    """The narration alone as 16 kHz mono 16-bit WAV (small: what silence detection needs)."""
    step = SAMPLE_RATE // NARRATION_TRACK_RATE
    mono = voice.mean(axis=1)[::step]
    pcm = (np.clip(mono, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(NARRATION_TRACK_RATE)
        out.writeframes(pcm.tobytes())
    return path


def raw_input_args(path: Path) -> list[str]:
    return ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", str(path)]


_INTEGRATED = re.compile(r"Summary:.*?I:\s+(-?\d+(?:\.\d+)?) LUFS", re.DOTALL)


def measure_loudness(raw_path: Path) -> float | None:
    """Integrated loudness (EBU R128, LUFS) of the raw soundtrack; ``None`` if silent."""
    proc = run_ffmpeg(
        [*raw_input_args(raw_path), "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        what="measure loudness",
    )
    match = _INTEGRATED.search(proc.stderr)
    if not match:
        raise RenderError("ffmpeg ebur128 printed no integrated loudness")
    lufs = float(match[1])
    return None if lufs <= -70.0 else lufs


def loudness_filter(measured_lufs: float | None) -> str:
    """Gain to the target, then a peak limiter at the ceiling for the few peaks pushed over.

    Equivalent to ``loudnorm``'s linear two-pass mode for speech, at a thirtieth of its
    CPU: ``ebur128`` measures without ``loudnorm``'s 192 kHz resampling.
    """
    gain_db = 0.0 if measured_lufs is None else TARGET_LUFS - measured_lufs
    ceiling = 10 ** (TRUE_PEAK_DB / 20)
    return (
        f"volume={gain_db:.2f}dB,"
        f"alimiter=limit={ceiling:.4f}:level=false:attack=5:release=50:latency=true"
    )
