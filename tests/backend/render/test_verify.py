"""verify_render: the gate the pipeline passes before marking the render stage done."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from backend.render import RenderResult, RenderVerificationError, verify_render


def test_accepts_a_good_render(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    info = verify_render(result, result.narration_s)
    assert info.problems == []


def test_rejects_a_truncated_file(
    long_render: tuple[RenderResult, list[float]], tmp_path: Path
) -> None:
    result, _ = long_render
    cut = tmp_path / "cut.mp4"
    data = result.video_path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(RenderVerificationError, match=r"duration|damaged"):
        verify_render(dataclasses.replace(result, video_path=cut), result.narration_s)


def test_rejects_a_narration_length_mismatch(
    long_render: tuple[RenderResult, list[float]],
) -> None:
    result, _ = long_render
    with pytest.raises(RenderVerificationError, match="expected"):
        verify_render(result, result.narration_s + 2.0)


def test_rejects_a_file_without_audio(
    long_render: tuple[RenderResult, list[float]], tmp_path: Path
) -> None:
    from backend.render.ffmpeg import run_ffmpeg

    result, _ = long_render
    silent = tmp_path / "silent.mp4"
    run_ffmpeg(
        ["-i", str(result.video_path), "-map", "0:v", "-c", "copy", str(silent)], what="strip audio"
    )
    with pytest.raises(RenderVerificationError, match="no audio stream"):
        verify_render(dataclasses.replace(result, video_path=silent), result.narration_s)


def test_rejects_a_missing_file(
    long_render: tuple[RenderResult, list[float]], tmp_path: Path
) -> None:
    result, _ = long_render
    gone = tmp_path / "gone.mp4"
    shutil.copy(result.srt_path, tmp_path / "gone.srt")
    with pytest.raises(RenderVerificationError, match="does not exist"):
        verify_render(dataclasses.replace(result, video_path=gone), result.narration_s)
