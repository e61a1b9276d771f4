"""Synthetic render inputs: landscape-like stills, speech-like narration and a music loop.

Used by the render tests, ``scripts/render_bench.py`` and smoke checks, so that a render
can be exercised with no models, no network and no media files.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from backend.render.models import RenderScene

VOICE_RATE = 24_000
MUSIC_RATE = 44_100
VOICE_PITCH_HZ = 170.0
MUSIC_CHORD_HZ = (110.0, 138.59, 164.81)

LOREM = (
    "Far beneath the waves, sunlight fades and the water turns cold. Here, strange "
    "creatures make their own light, flashing signals through the dark. Scientists have "
    "mapped less than a quarter of the sea floor, and every dive finds something new."
)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write float samples in [-1, 1], shape (n,) or (n, channels), as 16-bit PCM."""
    data = samples if samples.ndim == 2 else samples[:, None]
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """A voiced buzz with syllable and word rhythm (and real pauses) at about -20 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * VOICE_RATE)) / VOICE_RATE
    pitch = VOICE_PITCH_HZ * (1 + 0.06 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / VOICE_RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 9))
    # Smooth envelopes keep the spectrum clean below the pitch (tests listen for music there).
    syllables = 0.5 - 0.5 * np.cos(2 * np.pi * 4.2 * t + rng.uniform(0, 6))
    words = 0.5 + 0.5 * np.tanh(3 * (np.sin(2 * np.pi * 0.45 * t + rng.uniform(0, 6)) + 0.6))
    edge = np.minimum(1, np.minimum(t, t[-1] - t) / 0.05) if len(t) else t
    return (0.25 * buzz * syllables * words * edge).astype(np.float32)


def music_loop(seconds: float) -> np.ndarray:
    """A soft stereo pad on a low chord with a slow swell."""
    t = np.arange(int(seconds * MUSIC_RATE)) / MUSIC_RATE
    pad = sum(np.sin(2 * np.pi * f * t) for f in MUSIC_CHORD_HZ) / len(MUSIC_CHORD_HZ)
    left = 0.3 * pad * (0.75 + 0.25 * np.sin(2 * np.pi * t / 4))
    right = 0.3 * pad * (0.75 + 0.25 * np.cos(2 * np.pi * t / 4))
    return np.stack([left, right], axis=1).astype(np.float32)


def landscape(size: tuple[int, int], seed: int, label: str) -> Image.Image:
    """A stylised landscape: sky gradient, sun, layered hills, a caption-free label."""
    rng = np.random.default_rng(seed)
    w, h = size
    top, bottom = rng.integers(40, 200, 3), rng.integers(120, 255, 3)
    ramp = np.linspace(0, 1, h)[:, None, None]
    sky = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
    image = Image.fromarray(np.broadcast_to(sky, (h, w, 3)).copy())
    draw = ImageDraw.Draw(image)
    sx, sy, r = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.4) * h, h * 0.08
    draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=(255, 236, 180))
    for layer in range(4):
        base = h * (0.45 + 0.13 * layer)
        xs = np.linspace(0, w, 24)
        ys = base + rng.normal(0, h * 0.05, len(xs))
        shade = tuple(int(c * (0.8 - 0.17 * layer)) for c in rng.integers(60, 200, 3))
        draw.polygon([(0, h), *zip(xs.tolist(), ys.tolist(), strict=True), (w, h)], fill=shade)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    ImageDraw.Draw(image).text((w * 0.03, h * 0.04), label, fill=(255, 255, 255))
    texture = rng.integers(-4, 5, (h, w, 1), dtype=np.int16)
    return Image.fromarray(np.clip(np.asarray(image, np.int16) + texture, 0, 255).astype(np.uint8))


def make_scenes(
    folder: Path,
    count: int,
    seconds: float,
    size: tuple[int, int] = (1920, 1080),
    narration: str = LOREM,
) -> list[RenderScene]:
    """``count`` scenes with ``seconds`` of narration each, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sentences = [s.strip() + "." for s in narration.split(".") if s.strip()]
    scenes = []
    for i in range(count):
        image = folder / f"scene_{i:02d}.png"
        landscape(size, i, f"scene {i + 1}").save(image, compress_level=1)
        audio = write_wav(folder / f"scene_{i:02d}.wav", speech_like(seconds, i), VOICE_RATE)
        scenes.append(RenderScene(image, audio, sentences[i % len(sentences)]))
    return scenes


def make_music_dir(folder: Path, seconds: float = 20.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_wav(folder / "pad.wav", music_loop(seconds), MUSIC_RATE)
    return folder
