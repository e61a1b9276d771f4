"""Render QA: every check fails on a crafted bad file (ffmpeg lavfi sources, a few seconds)
and passes on a good one, and a real render passes them all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from backend.render import RenderResult
from backend.render.ffmpeg import ffmpeg_exe
from backend.render.models import CaptionBox
from backend.render.qa import QaInputs, QaReport, card_intervals, check_render, holds

SIZE = (320, 240)
SECONDS = 6.0
# A 440 Hz sine at lavfi's default amplitude measures -21.8 LUFS; this brings it to -14.
TO_TARGET = "volume=7.8dB"
MOVING = f"testsrc2=s={SIZE[0]}x{SIZE[1]}:r=30:d={SECONDS}"


def craft(
    path: Path,
    *,
    video: str = MOVING,
    video_filter: str = "null",
    audio_s: float = SECONDS,
    audio_filter: str = TO_TARGET,
) -> Path:
    """A small H.264/AAC file from lavfi sources, with a filter on each stream."""
    graph = f"[0:v]{video_filter}[v];[1:a]{audio_filter}[a]"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            video,
            "-f",
            "lavfi",
            "-i",
            f"sine=f=440:r=48000:d={audio_s}",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "[a]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
    )
    return path


def narration(path: Path, audio_filter: str = "anull") -> Path:
    source = ["-f", "lavfi", "-i", f"sine=f=220:r=16000:d={SECONDS}"]
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", *source, "-af", audio_filter, str(path)],
        check=True,
    )
    return path


def qa(video: Path, voice: Path | None = None, **kw: object) -> QaReport:
    return check_render(QaInputs(video, SIZE, narration_path=voice, **kw))  # type: ignore[arg-type]


def check(report: QaReport, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in report.checks if c.name == name)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("qa_good")
    return craft(root / "good.mp4"), narration(root / "voice.wav")


def test_a_good_file_passes_every_check(good: tuple[Path, Path]) -> None:
    video, voice = good
    boxes = (CaptionBox(1.0, 2.0, (40, 180, 280, 230)),)
    report = qa(video, voice, planned_s=SECONDS, captions=boxes)
    assert report.passed, report.reasons
    assert {c.name for c in report.checks} == {
        "black_frames",
        "frozen_frames",
        "narration_gaps",
        "loudness",
        "av_drift",
        "captions_in_frame",
        "duration_vs_plan",
    }
    assert abs(check(report, "loudness").value - (-14.0)) <= 1.0


def test_black_segment_fails_with_its_times(tmp_path: Path) -> None:
    video = craft(
        tmp_path / "black.mp4",
        video_filter="drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,2,4)'",
    )
    result = check(qa(video), "black_frames")
    assert not result.passed
    (start, end), *_ = result.times
    assert abs(start - 2.0) < 0.2 and abs(end - 4.0) < 0.2, result.times
    assert "2.0" in result.reason
    # a dark title card over that stretch is a designed still, not a fault
    assert check(qa(video, held_stills=((1.5, 4.5),)), "black_frames").passed


def test_frozen_segment_fails_but_a_held_title_card_does_not(tmp_path: Path) -> None:
    video = craft(
        tmp_path / "frozen.mp4",
        video_filter="split[x][y];[x][y]freezeframes=first=15:last=150:replace=15",
    )
    frozen = check(qa(video), "frozen_frames")
    assert not frozen.passed
    (start, end), *_ = frozen.times
    assert start < 1.0 and end > 4.5, frozen.times
    # the same stretch declared a title card (a still on purpose) is not a fault
    assert check(qa(video, held_stills=((0.0, 5.5),)), "frozen_frames").passed


def test_silence_in_the_narration_fails(tmp_path: Path) -> None:
    video = craft(tmp_path / "ok.mp4")
    voice = narration(tmp_path / "gap.wav", "volume=0:enable='between(t,1.5,4.5)'")
    gaps = check(qa(video, voice), "narration_gaps")
    assert not gaps.passed
    (start, end), *_ = gaps.times
    assert abs(start - 1.5) < 0.2 and abs(end - 4.5) < 0.2, gaps.times
    # silence outside the spoken part (under the cards) is not a gap
    assert check(qa(video, voice, spoken=(4.5, SECONDS)), "narration_gaps").passed


def test_audio_shorter_than_the_video_fails_as_drift(tmp_path: Path) -> None:
    video = craft(tmp_path / "drift.mp4", audio_s=SECONDS - 1.0)
    drift = check(qa(video), "av_drift")
    assert not drift.passed
    assert drift.value is not None and abs(drift.value + 1.0) < 0.1


def test_quiet_mix_fails_loudness(tmp_path: Path) -> None:
    video = craft(tmp_path / "quiet.mp4", audio_filter="volume=-4dB")
    loud = check(qa(video), "loudness")
    assert not loud.passed
    assert loud.value is not None and loud.value < -15.0
    assert "LUFS" in loud.reason


def test_caption_reaching_the_edge_fails(good: tuple[Path, Path]) -> None:
    video, _ = good
    cut_off = (CaptionBox(2.0, 3.0, (0, 180, 330, 230)),)
    captions = check(qa(video, captions=cut_off), "captions_in_frame")
    assert not captions.passed
    assert captions.times == [(2.0, 3.0)]


def test_length_off_the_plan_fails(good: tuple[Path, Path]) -> None:
    video, _ = good
    assert not check(qa(video, planned_s=SECONDS * 1.2), "duration_vs_plan").passed
    assert check(qa(video, planned_s=SECONDS * 1.05), "duration_vs_plan").passed


def test_a_real_render_passes_qa(long_render: tuple[RenderResult, list[float]]) -> None:
    result, _ = long_render
    assert result.narration_track is not None and result.narration_track.is_file()
    assert result.caption_boxes
    report = check_render(
        QaInputs(
            result.video_path,
            (result.width, result.height),
            narration_path=result.narration_track,
            planned_s=result.expected_duration_s,
            held_stills=card_intervals(result),
            spoken=(result.intro_s, result.intro_s + result.narration_s),
            captions=result.caption_boxes,
        )
    )
    assert report.passed, report.reasons
    # one decoding pass: well under the render's own time
    assert report.seconds < result.seconds


def test_a_failed_report_holds_until_approved(tmp_path: Path) -> None:
    video = craft(tmp_path / "quiet.mp4", audio_filter="volume=-4dB")
    stored = qa(video).as_json()
    reasons = holds(stored)
    assert reasons and reasons[0].startswith("render QA, loudness:")
    assert holds({**stored, "approved": {"by": "someone"}}) == []
    assert holds(qa(craft(tmp_path / "fine.mp4")).as_json()) == []
    assert holds(None) == []
