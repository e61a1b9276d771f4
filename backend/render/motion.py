"""Ken Burns motion: a deterministic choice of pan or zoom per scene, as ffmpeg expressions.

Geometry is in *base* pixels: the scene image scaled to just cover the output frame
(``base_w x base_h >= frame``). At zoom ``z`` the visible window is ``frame / z`` base
pixels around its centre. Zoom is exponential in time (constant perceived speed) and the
centre moves linearly, so the window edges are concave/convex in time and every window
lies inside the box spanned by the first and last one; the renderer pre-crops the image to
that box once (Pillow), and ffmpeg only scales and crops it per frame.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

KINDS = ("zoom_in", "zoom_out", "pan_right", "pan_left", "pan_down", "pan_up")
ZOOM_MAX = 1.18
PAN_ZOOM = 1.2
PAN_REACH = 0.85  # share of the free travel a pan uses


@dataclass(frozen=True)
class Window:
    cx: float
    cy: float
    zoom: float


@dataclass(frozen=True)
class Motion:
    kind: str
    start: Window
    end: Window
    frame_w: int
    frame_h: int

    def half_size(self, w: Window) -> tuple[float, float]:
        return self.frame_w / (2 * w.zoom), self.frame_h / (2 * w.zoom)

    def box(self) -> tuple[float, float, float, float]:
        """Base-pixel box (left, top, right, bottom) that holds every window of the motion."""
        (sw, sh), (ew, eh) = self.half_size(self.start), self.half_size(self.end)
        s, e = self.start, self.end
        return (
            min(s.cx - sw, e.cx - ew),
            min(s.cy - sh, e.cy - eh),
            max(s.cx + sw, e.cx + ew),
            max(s.cy + sh, e.cy + eh),
        )

    @property
    def max_zoom(self) -> float:
        return max(self.start.zoom, self.end.zoom)


def _clamp_window(w: Window, base_w: float, base_h: float, frame_w: int, frame_h: int) -> Window:
    hw, hh = frame_w / (2 * w.zoom), frame_h / (2 * w.zoom)
    return Window(min(max(w.cx, hw), base_w - hw), min(max(w.cy, hh), base_h - hh), w.zoom)


def scene_rng(seed: str, index: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def choose_kind(
    rng: random.Random,
    previous: str | None,
    base_w: float,
    base_h: float,
    frame_w: int,
    frame_h: int,
) -> str:
    """A motion unlike the previous scene's; wide spare room favours the matching pan."""
    if base_w > frame_w * 1.25:
        return rng.choice(("pan_right", "pan_left"))
    if base_h > frame_h * 1.25:
        return rng.choice(("pan_down", "pan_up"))
    return rng.choice([k for k in KINDS if k != previous])


def plan_motion(
    kind: str, rng: random.Random, base_w: float, base_h: float, frame_w: int, frame_h: int
) -> Motion:
    mid = Window(base_w / 2, base_h / 2, 1.0)
    if kind in ("zoom_in", "zoom_out"):
        # Drift towards a point of interest while zooming, a third of the free room away.
        hw, hh = frame_w / (2 * ZOOM_MAX), frame_h / (2 * ZOOM_MAX)
        focus = Window(
            base_w / 2 + rng.uniform(-1, 1) * (base_w / 2 - hw) * 0.6,
            base_h / 2 + rng.uniform(-1, 1) * (base_h / 2 - hh) * 0.6,
            ZOOM_MAX,
        )
        start, end = (mid, focus) if kind == "zoom_in" else (focus, mid)
    else:
        zoom = PAN_ZOOM
        hw, hh = frame_w / (2 * zoom), frame_h / (2 * zoom)
        span_x = (base_w / 2 - hw) * PAN_REACH
        span_y = (base_h / 2 - hh) * PAN_REACH
        off = rng.uniform(-0.25, 0.25)
        if kind in ("pan_right", "pan_left"):
            a = Window(base_w / 2 - span_x, base_h / 2 + off * span_y, zoom)
            b = Window(base_w / 2 + span_x, base_h / 2 - off * span_y, zoom)
        else:
            a = Window(base_w / 2 + off * span_x, base_h / 2 - span_y, zoom)
            b = Window(base_w / 2 - off * span_x, base_h / 2 + span_y, zoom)
        start, end = (a, b) if kind in ("pan_right", "pan_down") else (b, a)
    return Motion(
        kind,
        _clamp_window(start, base_w, base_h, frame_w, frame_h),
        _clamp_window(end, base_w, base_h, frame_w, frame_h),
        frame_w,
        frame_h,
    )


def plan_motions(
    seed: str, bases: list[tuple[float, float]], frame: tuple[int, int]
) -> list[Motion]:
    """One motion per scene, reproducible from ``seed``; no two neighbours alike."""
    motions: list[Motion] = []
    previous: str | None = None
    for index, (base_w, base_h) in enumerate(bases):
        rng = scene_rng(seed, index)
        kind = choose_kind(rng, previous, base_w, base_h, *frame)
        motions.append(plan_motion(kind, rng, base_w, base_h, *frame))
        previous = kind
    return motions


def ffmpeg_motion_filters(motion: Motion, duration_s: float) -> str:
    """``scale`` + ``crop`` (per-frame expressions over ``t``) for a source image that is the
    motion box scaled by ``max_zoom``."""
    left, top, right, bottom = motion.box()
    box_w, box_h = right - left, bottom - top
    s, e = motion.start, motion.end
    p = f"min(t/{duration_s:.6f},1)"
    zoom_rel = f"{s.zoom / motion.max_zoom:.6f}*exp({math.log(e.zoom / s.zoom):.6f}*{p})"
    # Centre as a fraction of the box, so the crop follows the actually scaled size.
    fx0, fx1 = (s.cx - left) / box_w, (e.cx - left) / box_w
    fy0, fy1 = (s.cy - top) / box_h, (e.cy - top) / box_h
    cx = f"({fx0:.6f}+{fx1 - fx0:.6f}*{p})"
    cy = f"({fy0:.6f}+{fy1 - fy0:.6f}*{p})"
    w, h = motion.frame_w, motion.frame_h
    return (
        f"scale=w='max({w},iw*{zoom_rel})':h='max({h},ih*{zoom_rel})'"
        f":eval=frame:flags=bilinear,"
        f"crop={w}:{h}:x='{cx}*iw-{w / 2}':y='{cy}*ih-{h / 2}'"
    )
