"""Ken Burns motion: a deterministic choice of pan or zoom per scene, as ffmpeg expressions.

Geometry is in *base* pixels: the scene image scaled to just cover the output frame
(``base_w x base_h >= frame``). At zoom ``z`` the visible window is ``frame / z`` base
pixels around its centre. Zoom is exponential in time (constant perceived speed) and the
centre moves linearly, so the window edges are concave/convex in time and every window
lies inside the box spanned by the first and last one; the renderer pre-crops the image to
that box once (Pillow), and ffmpeg only scales and crops it per frame.

Consecutive scenes differ in kind (zoom in, zoom out, pan in one of four directions) and a
zoom's focus point (the centre or a rule-of-thirds point) differs from the last zoom's.
The reach is bounded so that the middle 80 % of the picture (where the slide renderer puts
its text) stays in view through every motion.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

KINDS = ("zoom_in", "zoom_out", "pan_right", "pan_left", "pan_down", "pan_up")
ZOOM_MAX = 1.15
PAN_ZOOM = 1.12
PAN_REACH = 0.85  # share of the free travel a pan uses
FOCUS_REACH = 0.5  # share of the free room a zoom's focus moves off the centre
# where a zoom drifts to, as a fraction (-1..1) of the free room: the centre, the four
# rule-of-thirds points, left and right of the middle
FOCI: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (-0.66, -0.66),
    (0.66, -0.66),
    (-0.66, 0.66),
    (0.66, 0.66),
    (-1.0, 0.0),
    (1.0, 0.0),
)


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
    focus: tuple[float, float] = (0.0, 0.0)  # a zoom's focus (fractions of the free room)

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
    """A motion unlike the previous scene's; wide spare room favours the matching pan (the
    other direction than the previous one's)."""
    if base_w > frame_w * 1.25:
        return rng.choice([k for k in ("pan_right", "pan_left") if k != previous])
    if base_h > frame_h * 1.25:
        return rng.choice([k for k in ("pan_down", "pan_up") if k != previous])
    return rng.choice([k for k in KINDS if k != previous])


def choose_focus(rng: random.Random, previous: tuple[float, float] | None) -> tuple[float, float]:
    """A zoom's focus point, not the previous zoom's."""
    return rng.choice([f for f in FOCI if f != previous])


def plan_motion(
    kind: str,
    rng: random.Random,
    base_w: float,
    base_h: float,
    frame_w: int,
    frame_h: int,
    focus: tuple[float, float] = (0.0, 0.0),
) -> Motion:
    mid = Window(base_w / 2, base_h / 2, 1.0)
    if kind in ("zoom_in", "zoom_out"):
        # Drift towards the focus point while zooming (half the free room at most).
        hw, hh = frame_w / (2 * ZOOM_MAX), frame_h / (2 * ZOOM_MAX)
        target = Window(
            base_w / 2 + focus[0] * (base_w / 2 - hw) * FOCUS_REACH,
            base_h / 2 + focus[1] * (base_h / 2 - hh) * FOCUS_REACH,
            ZOOM_MAX,
        )
        start, end = (mid, target) if kind == "zoom_in" else (target, mid)
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
        focus = (0.0, 0.0)
    return Motion(
        kind,
        _clamp_window(start, base_w, base_h, frame_w, frame_h),
        _clamp_window(end, base_w, base_h, frame_w, frame_h),
        frame_w,
        frame_h,
        focus,
    )


def plan_motions(
    seed: str, bases: list[tuple[float, float]], frame: tuple[int, int]
) -> list[Motion]:
    """One motion per scene, reproducible from ``seed``; no two neighbours alike (kind), and
    no zoom drifting to the last zoom's focus point."""
    motions: list[Motion] = []
    previous: str | None = None
    last_focus: tuple[float, float] | None = None
    for index, (base_w, base_h) in enumerate(bases):
        rng = scene_rng(seed, index)
        kind = choose_kind(rng, previous, base_w, base_h, *frame)
        focus = choose_focus(rng, last_focus)
        motions.append(plan_motion(kind, rng, base_w, base_h, *frame, focus=focus))
        if kind.startswith("zoom"):
            last_focus = focus
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
