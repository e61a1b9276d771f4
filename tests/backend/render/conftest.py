"""Render fixtures: small synthetic inputs and two real renders shared by the tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from backend.render import RenderResult, RenderScene, RenderSpec, render_video
from backend.render.ffmpeg import ffmpeg_exe
from backend.render.samples import make_music_dir, make_scenes

SCENES = 3
SCENE_S = 2.0
NARRATION = (
    "The ocean covers most of our planet, yet we have explored very little of it. "
    "Deep below the waves, strange creatures glow in the dark. What else is down there?"
)


@pytest.fixture(scope="session")
def render_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[RenderScene], Path]:
    root = tmp_path_factory.mktemp("render_inputs")
    scenes = make_scenes(root / "scenes", SCENES, SCENE_S, narration=NARRATION)
    return scenes, make_music_dir(root / "music", seconds=6.0)


@pytest.fixture(scope="session")
def long_render(
    render_inputs: tuple[list[RenderScene], Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[RenderResult, list[float]]:
    scenes, music = render_inputs
    progress: list[float] = []
    spec = RenderSpec(
        scenes=scenes,
        title="Secrets of the Deep Ocean",
        out_dir=tmp_path_factory.mktemp("long"),
        music_dir=music,
        intro_text="A short test film",
        basename="long",
    )
    return render_video(spec, progress=progress.append), progress


@pytest.fixture(scope="session")
def short_render(
    render_inputs: tuple[list[RenderScene], Path], tmp_path_factory: pytest.TempPathFactory
) -> RenderResult:
    scenes, _ = render_inputs
    spec = RenderSpec(
        scenes=scenes,
        title="Deep Ocean in 10 Seconds",
        fmt="short",
        out_dir=tmp_path_factory.mktemp("short"),
        music_dir=None,
        basename="short",
    )
    return render_video(spec)


def decode_audio(path: Path, rate: int = 48_000) -> np.ndarray:
    """The file's audio as mono float32 samples."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


def band_db(
    samples: np.ndarray, rate: int, start_s: float, end_s: float, low_hz: float, high_hz: float
) -> float:
    """Energy (dB) of ``samples[start:end]`` between ``low_hz`` and ``high_hz``."""
    part = samples[int(start_s * rate) : int(end_s * rate)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)))) ** 2
    freqs = np.fft.rfftfreq(len(part), 1 / rate)
    band = spectrum[(freqs >= low_hz) & (freqs <= high_hz)].sum()
    return float(10 * np.log10(band + 1e-12))


def integrated_loudness(path: Path) -> float:
    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-af",
            "ebur128",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = proc.stderr.rsplit("Summary:", 1)[-1]
    match = re.search(r"I:\s+(-?\d+(?:\.\d+)?) LUFS", summary)
    assert match, proc.stderr[-500:]
    return float(match[1])


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """One decoded RGB frame, shape (h, w, 3)."""
    proc = subprocess.run(
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
    )
    from backend.render.probe import probe

    info = probe(path)
    assert info.width and info.height
    return np.frombuffer(proc.stdout, np.uint8).reshape(info.height, info.width, 3)
