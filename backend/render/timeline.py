"""Frame-exact timing of a render: title cards and scenes, overlapping by the crossfade.

Each segment owns ``content_s`` seconds of the timeline (a card's length, a scene's
narration length) and is shown ``crossfade`` longer so the next one can fade in over it;
the video is therefore exactly ``intro + narration + outro`` long.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

SegmentKind = Literal["intro", "scene", "outro"]


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    scene_index: int | None
    start_frame: int
    content_frames: int
    frames: int  # shown frames, including the overlap with the next segment

    def start_s(self, fps: int) -> float:
        return self.start_frame / fps

    def content_s(self, fps: int) -> float:
        return self.content_frames / fps


@dataclass(frozen=True)
class Timeline:
    fps: int
    segments: list[Segment]
    crossfade_frames: int

    @property
    def total_frames(self) -> int:
        last = self.segments[-1]
        return last.start_frame + last.frames

    @property
    def total_s(self) -> float:
        return self.total_frames / self.fps

    @property
    def crossfade_s(self) -> float:
        return self.crossfade_frames / self.fps

    def scenes(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "scene"]

    def card_s(self, kind: SegmentKind) -> float:
        return sum(s.content_s(self.fps) for s in self.segments if s.kind == kind)


def build_timeline(
    narration_s: list[float], fps: int, card_s: float, crossfade_s: float
) -> Timeline:
    """Lay out intro card, one segment per narration, outro card (cards only if ``card_s``)."""
    plan: list[tuple[SegmentKind, int | None, float]] = [
        ("scene", i, d) for i, d in enumerate(narration_s)
    ]
    if card_s > 0:
        plan = [("intro", None, card_s), *plan, ("outro", None, card_s)]
    # Frame-rounded cumulative boundaries so rounding never accumulates.
    bounds = [0]
    elapsed = 0.0
    for _, _, seconds in plan:
        elapsed += seconds
        bounds.append(round(elapsed * fps))
    shortest = min(b - a for a, b in pairwise(bounds))
    xfade = max(0, min(round(crossfade_s * fps), shortest // 2))
    segments = []
    for i, (kind, scene_index, _) in enumerate(plan):
        content = bounds[i + 1] - bounds[i]
        overlap = xfade if i < len(plan) - 1 else 0
        segments.append(Segment(kind, scene_index, bounds[i], content, content + overlap))
    return Timeline(fps, segments, xfade)
