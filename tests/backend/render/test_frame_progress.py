"""The render reports frames encoded, from ffmpeg's ``-progress`` output, as it goes."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from backend.render import RenderError, RenderScene, RenderSpec, render_video
from backend.render.ffmpeg import run_ffmpeg_with_progress
from backend.render.probe import probe


def test_frames_encoded_are_reported_up_to_the_total(
    render_inputs: tuple[list[RenderScene], Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    scenes, _ = render_inputs
    reports: list[tuple[float, int, int]] = []
    spec = RenderSpec(
        scenes=scenes[:1] * 3,
        title="Frames",
        out_dir=tmp_path_factory.mktemp("f"),
        basename="frames",
    )
    result = render_video(spec, on_frames=lambda f, done, total: reports.append((f, done, total)))
    assert len(reports) >= 2
    totals = {total for _, _, total in reports}
    assert len(totals) == 1
    total = totals.pop()
    info = probe(result.video_path)
    assert abs(total / spec.fps - info.duration_s) < 0.2  # the total is the video's frames
    frames = [done for _, done, _ in reports]
    assert all(a <= b for a, b in itertools.pairwise(frames))
    assert 0 < frames[-1] <= total and frames[-1] >= total * 0.9
    fractions = [f for f, _, _ in reports]
    assert all(a <= b for a, b in itertools.pairwise(fractions)) and fractions[-1] < 1.0


def test_a_cancelled_encode_stops_ffmpeg_promptly(tmp_path: Path) -> None:
    cancel = threading.Event()
    frames: list[int] = []

    def on_frame(n: int) -> None:
        frames.append(n)
        if len(frames) == 2:
            cancel.set()  # the stage gave up on this try

    started = time.monotonic()
    with pytest.raises(RenderError, match="cancelled"):
        run_ffmpeg_with_progress(
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1920x1080:rate=30",
                "-t",
                "600",
                "-c:v",
                "libx264",
                "-preset",
                "veryslow",
                str(tmp_path / "long.mp4"),
            ],
            what="encode ten minutes",
            on_time=lambda _t: None,
            on_frame=on_frame,
            cancel=cancel,
        )
    assert time.monotonic() - started < 10
    target = str(tmp_path / "long.mp4").encode()
    still = [c for c in Path("/proc").glob("[0-9]*/cmdline") if _reads(c).count(target)]
    assert still == [], "ffmpeg runs on after the cancel"


def _reads(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
