"""Probing media with ffmpeg alone (imageio-ffmpeg ships no ffprobe) and checking renders."""

from __future__ import annotations

import re
from pathlib import Path

import structlog

from backend.render.errors import RenderVerificationError
from backend.render.ffmpeg import run_ffmpeg
from backend.render.models import MediaInfo, RenderResult, StreamInfo

log = structlog.get_logger(__name__)

_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:(\d+)[^:]*: (Video|Audio|Subtitle|Data): (\w+)(.*)$")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_RATE = re.compile(r"(\d+) Hz, ([\w.()]+)")
_OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
_PROBLEM = re.compile(r"partial file|corrupt|Invalid data|invalid NAL|error", re.IGNORECASE)


def _stream(line: str) -> StreamInfo | None:
    match = _STREAM.match(line)
    if not match:
        return None
    index, kind, codec, rest = match.groups()
    info = StreamInfo(index=int(index), kind=kind.lower(), codec=codec)
    if info.kind == "video" and (size := _SIZE.search(rest)):
        return StreamInfo(info.index, info.kind, codec, int(size[1]), int(size[2]))
    if info.kind == "audio" and (rate := _RATE.search(rest)):
        return StreamInfo(info.index, info.kind, codec, sample_rate=int(rate[1]), channels=rate[2])
    return info


def probe(path: Path) -> MediaInfo:
    """Streams, codecs, size and duration of ``path``.

    Besides the container header this reads every packet (a stream copy into the null
    muxer, fast), so a truncated file shows up as a short ``readable_s`` and ``problems``.
    """
    if not path.is_file():
        raise RenderVerificationError(f"{path} does not exist")
    proc = run_ffmpeg(
        [
            "-nostats",
            "-progress",
            "pipe:1",
            "-i",
            str(path),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "null",
            "-",
        ],
        what=f"read {path.name}",
    )
    header, _, after = proc.stderr.partition("Stream mapping:")
    duration = _DURATION.search(header)
    times = _OUT_TIME.findall(proc.stdout)
    return MediaInfo(
        path=path,
        duration_s=(int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]))
        if duration
        else 0.0,
        streams=[s for line in header.splitlines() if (s := _stream(line))],
        readable_s=int(times[-1]) / 1_000_000 if times else 0.0,
        problems=[line.strip() for line in after.splitlines() if _PROBLEM.search(line)],
    )


def verify_render(
    result: RenderResult, expected_narration_s: float, tolerance_s: float = 0.5
) -> MediaInfo:
    """Check the MP4 on disk against what the pipeline expects; raise with the reason if not."""
    info = probe(result.video_path)
    reasons: list[str] = []
    if info.video is None:
        reasons.append("no video stream")
    elif info.video.codec != "h264":
        reasons.append(f"video codec is {info.video.codec}, expected h264")
    elif (info.width, info.height) != (result.width, result.height):
        reasons.append(
            f"frame is {info.width}x{info.height}, expected {result.width}x{result.height}"
        )
    if info.audio is None:
        reasons.append("no audio stream")
    elif info.audio.codec != "aac":
        reasons.append(f"audio codec is {info.audio.codec}, expected aac")
    if info.problems:
        reasons.append(f"damaged file: {info.problems[0]}")
    expected = expected_narration_s + result.intro_s + result.outro_s
    for label, seconds in (("container", info.duration_s), ("readable", info.readable_s)):
        if abs(seconds - expected) > tolerance_s:
            reasons.append(
                f"{label} duration {seconds:.2f}s, expected {expected:.2f}s "
                f"(narration {expected_narration_s:.2f}s + cards "
                f"{result.intro_s + result.outro_s:.2f}s) within {tolerance_s}s"
            )
    if not result.srt_path.is_file():
        reasons.append(f"subtitles {result.srt_path.name} missing")
    if reasons:
        raise RenderVerificationError(f"{result.video_path.name}: " + "; ".join(reasons))
    log.info("render.verified", video=str(result.video_path), duration_s=info.duration_s)
    return info
