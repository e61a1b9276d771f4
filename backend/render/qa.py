"""Render QA: what a viewer would notice, checked on the finished file before ``ready``.

One ffmpeg pass decodes the video once and runs every detector side by side:
``blackdetect`` and ``freezedetect`` on a reduced copy of the picture, ``ebur128`` on the
final mix and ``silencedetect`` on the narration alone (the voice track the renderer
kept, so the music under a pause does not hide it). A packet dump (no decoding) gives
each stream's end for the drift check; the caption boxes come from the caption strips.

Each :class:`Check` has a verdict, a reason a person can act on and the times (in seconds
into the video) where it looked. Title cards are held stills on purpose: a freeze inside
one is not a fault, and nobody speaks over them.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import structlog
from PIL import Image

from backend.render.ffmpeg import run_ffmpeg
from backend.render.models import CaptionBox, RenderResult

log = structlog.get_logger(__name__)

TARGET_LUFS = -14.0
LUFS_TOLERANCE = 1.0
BLACK_MIN_S = 1.0  # the fades at both ends last under a second
BLACK_PIXEL_TH = 0.10
FREEZE_MIN_S = 3.0
FREEZE_NOISE = "-60dB"
SILENCE_MIN_S = 2.0
SILENCE_NOISE_DB = -45.0
DRIFT_MAX_S = 0.15
PLAN_TOLERANCE = 0.10
CAPTION_MARGIN = 0.01  # share of the frame a caption keeps off each edge
ANALYSIS_WIDTH = 320  # the detectors see the picture this wide: enough for black and frozen

Interval = tuple[float, float]
NULL_OUTPUT = ["-f", "null", "-"]


@dataclass(frozen=True)
class QaInputs:
    """What the checks need besides the file. ``planned_s`` is the whole video's planned
    length (``None``: not checked); ``narration_path`` the voice alone (a WAV file)."""

    video_path: Path
    frame_size: tuple[int, int]
    narration_path: Path | None = None
    planned_s: float | None = None
    held_stills: tuple[Interval, ...] = ()  # title cards
    spoken: Interval | None = None  # where the narration should be continuous
    captions: tuple[CaptionBox, ...] = ()


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    reason: str
    times: list[Interval] = field(default_factory=list)
    value: float | None = None


@dataclass(frozen=True)
class QaReport:
    checks: list[Check]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.reason}" for c in self.checks if not c.passed]

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "checks": [
                {**asdict(c), "times": [[round(a, 2), round(b, 2)] for a, b in c.times]}
                for c in self.checks
            ],
        }


_BLACK = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_FREEZE_START = re.compile(r"lavfi\.freezedetect\.freeze_start:\s*([\d.]+)")
_FREEZE_END = re.compile(r"lavfi\.freezedetect\.freeze_end:\s*([\d.]+)")
_SILENCE_START = re.compile(r"silence_start:\s*(-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end:\s*([\d.]+)")
_INTEGRATED = re.compile(r"Summary:.*?I:\s+(-?[\d.]+|-inf) LUFS", re.DOTALL)
_TB = re.compile(r"^#tb (\d+): (\d+)/(\d+)$", re.MULTILINE)
_KIND = re.compile(r"^#media_type (\d+): (\w+)$", re.MULTILINE)
_PACKET = re.compile(r"^\s*(\d+),\s*(-?\d+),\s*(-?\d+),\s*(\d+),", re.MULTILINE)


def _pairs(starts: list[float], ends: list[float], total: float) -> list[Interval]:
    """Detector starts and ends as intervals; one still open at the end closes there."""
    out = []
    for i, start in enumerate(starts):
        out.append((max(0.0, start), ends[i] if i < len(ends) else total))
    return out


def _outside(interval: Interval, excluded: tuple[Interval, ...]) -> float:
    """How much of ``interval`` lies outside every ``excluded`` interval."""
    a, b = interval
    length = b - a
    for x, y in excluded:
        length -= max(0.0, min(b, y) - max(a, x))
    return max(0.0, length)


def _analyse(inputs: QaInputs) -> str:
    """The one decoding pass; returns ffmpeg's log with every detector's findings."""
    args = ["-i", str(inputs.video_path)]
    graph = [
        f"[0:v]scale={ANALYSIS_WIDTH}:-2:flags=fast_bilinear,"
        f"blackdetect=d={BLACK_MIN_S}:pix_th={BLACK_PIXEL_TH},"
        f"freezedetect=n={FREEZE_NOISE}:d={FREEZE_MIN_S}[v]",
        "[0:a]ebur128=framelog=quiet[a]",
    ]
    maps = ["-map", "[v]", "-map", "[a]"]
    if inputs.narration_path is not None:
        args += ["-i", str(inputs.narration_path)]
        graph.append(f"[1:a]silencedetect=n={SILENCE_NOISE_DB}dB:d={SILENCE_MIN_S}[s]")
        maps += ["-map", "[s]"]
    command = ["-nostats", "-threads", "2", *args, "-filter_complex", ";".join(graph), *maps]
    proc = run_ffmpeg(
        command + NULL_OUTPUT,
        what=f"check {inputs.video_path.name}",
    )
    return proc.stderr + proc.stdout


def stream_ends(video_path: Path) -> dict[str, float]:
    """Where the first video and audio streams' last packets end, in seconds, by kind
    (a packet dump: no decoding)."""
    proc = run_ffmpeg(
        ["-i", str(video_path), "-map", "0", "-c", "copy", "-f", "framecrc", "-"],
        what=f"read the packets of {video_path.name}",
    )
    bases = {int(i): int(num) / int(den) for i, num, den in _TB.findall(proc.stdout)}
    kinds: dict[int, str] = {}
    for index, kind in _KIND.findall(proc.stdout):
        if kind not in kinds.values():
            kinds[int(index)] = kind
    ends: dict[str, float] = {}
    for index, _dts, pts, duration in _PACKET.findall(proc.stdout):
        i = int(index)
        if i in kinds:
            end = (int(pts) + int(duration)) * bases.get(i, 0.0)
            ends[kinds[i]] = max(ends.get(kinds[i], 0.0), end)
    return ends


def _black(log_text: str, held: tuple[Interval, ...]) -> Check:
    """Black stretches; a dark title card (a designed still, faded in from black) is not one."""
    found = [(float(a), float(b)) for a, b in _BLACK.findall(log_text)]
    spans = [s for s in found if _outside(s, held) >= BLACK_MIN_S]
    if spans:
        where = ", ".join(f"{a:.1f} to {b:.1f} s" for a, b in spans)
        return Check("black_frames", False, f"black picture at {where}", spans)
    return Check("black_frames", True, f"no black stretch of {BLACK_MIN_S:g} s or more")


def _frozen(log_text: str, total: float, held: tuple[Interval, ...]) -> Check:
    spans = _pairs(
        [float(x) for x in _FREEZE_START.findall(log_text)],
        [float(x) for x in _FREEZE_END.findall(log_text)],
        total,
    )
    bad = [s for s in spans if _outside(s, held) >= FREEZE_MIN_S]
    if bad:
        where = ", ".join(f"{a:.1f} to {b:.1f} s" for a, b in bad)
        return Check("frozen_frames", False, f"the picture stands still at {where}", bad)
    return Check("frozen_frames", True, f"no frozen picture over {FREEZE_MIN_S:g} s")


def _silence(log_text: str, inputs: QaInputs, total: float) -> Check:
    if inputs.narration_path is None:
        return Check("narration_gaps", True, "no narration track to check")
    spoken = inputs.spoken or (0.0, total)
    spans = _pairs(
        [float(x) for x in _SILENCE_START.findall(log_text)],
        [float(x) for x in _SILENCE_END.findall(log_text)],
        total,
    )
    bad = []
    for a, b in spans:
        a, b = max(a, spoken[0]), min(b, spoken[1])  # lead-in and tail are the cards'
        if b - a > SILENCE_MIN_S:
            bad.append((a, b))
    if bad:
        where = ", ".join(f"{a:.1f} to {b:.1f} s" for a, b in bad)
        return Check(
            "narration_gaps", False, f"the narration is silent for over 2 s at {where}", bad
        )
    return Check("narration_gaps", True, f"no pause in the narration over {SILENCE_MIN_S:g} s")


def _loudness(log_text: str) -> Check:
    match = _INTEGRATED.search(log_text)
    if not match or match[1] == "-inf":
        return Check("loudness", False, "the soundtrack is silent")
    lufs = float(match[1])
    ok = abs(lufs - TARGET_LUFS) <= LUFS_TOLERANCE
    reason = f"integrated loudness {lufs:.1f} LUFS (target {TARGET_LUFS:g} ± {LUFS_TOLERANCE:g})"
    return Check("loudness", ok, reason, value=lufs)


def _drift(ends: dict[str, float]) -> Check:
    if "video" not in ends or "audio" not in ends:
        return Check("av_drift", False, "the file lacks an audio or a video stream")
    video, audio = ends["video"], ends["audio"]
    drift = audio - video
    ok = abs(drift) <= DRIFT_MAX_S
    reason = f"audio ends {drift:+.2f} s from the video (limit ± {DRIFT_MAX_S:g} s)"
    span = [(min(video, audio), max(video, audio))] if not ok else []
    return Check("av_drift", ok, reason, span, value=round(drift, 3))


def _captions(inputs: QaInputs) -> Check:
    width, height = inputs.frame_size
    mx, my = round(width * CAPTION_MARGIN), round(height * CAPTION_MARGIN)
    bad = [
        c
        for c in inputs.captions
        if c.box[0] < mx or c.box[1] < my or c.box[2] > width - mx or c.box[3] > height - my
    ]
    if bad:
        where = ", ".join(f"{c.start_s:.1f} s" for c in bad[:5])
        return Check(
            "captions_in_frame",
            False,
            f"{len(bad)} caption(s) reach the frame's edge (cut off) at {where}",
            [(c.start_s, c.end_s) for c in bad],
        )
    return Check("captions_in_frame", True, f"{len(inputs.captions)} captions inside the frame")


def _plan(total: float, planned: float | None) -> Check:
    if planned is None or planned <= 0:
        return Check("duration_vs_plan", True, "no planned length to compare")
    off = (total - planned) / planned
    ok = abs(off) <= PLAN_TOLERANCE
    reason = f"{total:.1f} s against {planned:.1f} s planned ({off:+.0%}, limit ± 10 %)"
    return Check("duration_vs_plan", ok, reason, value=round(off, 3))


def card_intervals(result: RenderResult) -> tuple[Interval, ...]:
    """The title cards of a render: held stills, and nobody speaks over them."""
    end = result.expected_duration_s
    return ((0.0, result.intro_s), (end - result.outro_s, end))


def check_render(inputs: QaInputs) -> QaReport:
    """Run every check on the finished file."""
    started = time.perf_counter()
    ends = stream_ends(inputs.video_path)
    total = max(ends.values(), default=0.0)
    log_text = _analyse(inputs)
    checks = [
        _black(log_text, inputs.held_stills),
        _frozen(log_text, total, inputs.held_stills),
        _silence(log_text, inputs, total),
        _loudness(log_text),
        _drift(ends),
        _captions(inputs),
        _plan(total, inputs.planned_s),
    ]
    report = QaReport(checks, time.perf_counter() - started)
    log.info(
        "render.qa",
        video=inputs.video_path.name,
        passed=report.passed,
        failed=[c.name for c in checks if not c.passed],
        seconds=round(report.seconds, 2),
    )
    return report


_FILE = re.compile(r"^file '(.*)'$")
_DURATION = re.compile(r"^duration ([\d.]+)$")


def caption_boxes(listing: Path, caption_y: int) -> list[CaptionBox]:
    """The inked box of every caption strip an ffconcat caption list shows, in frame pixels
    (``caption_y``: the strip's top in the frame). Blank strips have no box."""
    entries: list[tuple[Path, float]] = []
    pending: Path | None = None
    for line in listing.read_text(encoding="utf-8").splitlines():
        if m := _FILE.match(line):
            pending = Path(m[1].replace("'\\''", "'"))
        elif (d := _DURATION.match(line)) and pending is not None:
            entries.append((pending, float(d[1])))
            pending = None
    boxes: list[CaptionBox] = []
    seen: dict[Path, tuple[int, int, int, int] | None] = {}
    t = 0.0
    for path, seconds in entries:
        if path not in seen:
            with Image.open(path) as strip:
                alpha = strip.getchannel("A") if "A" in strip.getbands() else None
                seen[path] = alpha.getbbox() if alpha is not None else None
        box = seen[path]
        if box is not None:
            x0, y0, x1, y1 = box
            boxes.append(CaptionBox(t, t + seconds, (x0, y0 + caption_y, x1, y1 + caption_y)))
        t += seconds
    return boxes


def holds(report: dict[str, Any] | None) -> list[str]:
    """The reasons a stored QA report (:meth:`QaReport.as_json`) holds its video for review:
    its failed checks, unless the owner approved the render as it is."""
    if not report or report.get("passed", True) or report.get("approved"):
        return []
    return [
        f"render QA, {c['name']}: {c['reason']}"
        for c in report.get("checks", [])
        if not c.get("passed", True)
    ]
