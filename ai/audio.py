"""Audio encoding: PCM to WAV, WAV to MP3 and back (ffmpeg from imageio-ffmpeg)."""

from __future__ import annotations

import io
import subprocess
import wave
from functools import lru_cache

import numpy as np

from ai.errors import BackendError

SPEECH_FORMATS = ("wav", "mp3")
MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def pcm16_to_wav(pcm: bytes, sample_rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def float_to_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    clipped = np.clip(samples.astype(np.float32).reshape(-1), -1.0, 1.0)
    return pcm16_to_wav((clipped * 32767).astype("<i2").tobytes(), sample_rate)


def wav_duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def convert(data: bytes, source: str, target: str) -> bytes:
    """Re-encode between wav and mp3 through ffmpeg pipes."""
    if source == target:
        return data
    codec = (
        ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"]
        if target == "mp3"
        else ["-c:a", "pcm_s16le", "-f", "wav"]
    )
    command = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        source,
        "-i",
        "pipe:0",
        *codec,
        "pipe:1",
    ]
    result = subprocess.run(command, input=data, capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise BackendError(f"ffmpeg {source}->{target} failed: {result.stderr.decode()[-300:]}")
    return result.stdout


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())
