"""Which part of a long video becomes its Short: the hook onwards, 30 to 60 seconds.

The hook opens the first scene's narration clip; it is the segment the script writes to
hold a viewer, so the Short starts there and takes whole scenes while they fit. When the
next scene would overrun, it is cut at its quietest moment before the limit (a pause
between words), and its caption text is cut with it.
"""

from __future__ import annotations

import dataclasses
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backend.render import RenderScene
from backend.render.ffmpeg import ffmpeg_exe
from backend.render.samples import VOICE_RATE, write_wav

MIN_S, MAX_S = 30.0, 60.0
CARD_S = 1.0  # a short title card at each end
MARGIN_S = 1.5  # kept clear of both limits (encoder rounding, the crossfades)
SEARCH_S = 2.5  # how far back from the limit a cut looks for a pause
WINDOW_S = 0.05


class ShortTooShort(ValueError):
    """The long video's narration cannot fill the shortest Short."""


@dataclass(frozen=True)
class Cut:
    scenes: tuple[int, ...]  # indices into the long video's scenes, in order
    last_clip_s: float | None  # the last scene's narration cut to this length; None: whole
    narration_s: float

    @property
    def planned_s(self) -> float:
        return self.narration_s + 2 * CARD_S


def plan_cut(clip_seconds: list[float]) -> Cut:
    """Whole scenes from the first while they fit under the limit, then (if still under the
    minimum) part of the next one."""
    low = MIN_S + MARGIN_S - 2 * CARD_S
    high = MAX_S - MARGIN_S - 2 * CARD_S
    taken: list[int] = []
    total = 0.0
    for i, seconds in enumerate(clip_seconds):
        if total + seconds <= high:
            taken.append(i)
            total += seconds
            if total >= low and (i + 1 >= len(clip_seconds) or total + clip_seconds[i + 1] > high):
                return Cut(tuple(taken), None, total)
            continue
        # this scene overruns: take part of it, enough to reach the minimum
        return Cut((*taken, i), high - total, high)
    if total >= low:
        return Cut(tuple(taken), None, total)
    raise ShortTooShort(
        f"the narration lasts {total:.1f} s; a Short needs at least {low:.0f} s of it"
    )


def _decode_mono(path: Path, rate: int) -> np.ndarray:
    command = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate)]
    raw = subprocess.run(
        [*command, "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


def quiet_point(samples: np.ndarray, rate: int, limit_s: float) -> float:
    """The quietest moment within ``SEARCH_S`` before ``limit_s``: where to cut speech."""
    hop = int(WINDOW_S * rate)
    end = min(len(samples), int(limit_s * rate))
    start = max(0, end - int(SEARCH_S * rate))
    part = samples[start:end]
    frames = len(part) // hop
    if frames == 0:
        return limit_s
    energy = np.square(part[: frames * hop]).reshape(frames, hop).mean(axis=1)
    return (start + (int(np.argmin(energy)) + 0.5) * hop) / rate


def trim_scene(scene: RenderScene, limit_s: float, out_dir: Path) -> RenderScene:
    """The scene with its narration cut at a pause before ``limit_s`` (and its words)."""
    samples = _decode_mono(scene.audio_path, VOICE_RATE)
    cut_s = quiet_point(samples, VOICE_RATE, limit_s)
    n = int(cut_s * VOICE_RATE)
    fade = min(n, int(0.03 * VOICE_RATE))
    clip = samples[:n].copy()
    if fade:
        clip[n - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = write_wav(out_dir / f"cut_{scene.audio_path.stem}.wav", clip, VOICE_RATE)
    full_s = len(samples) / VOICE_RATE
    words = getattr(scene, "words", None)
    if words is not None:
        kept = tuple(w for w in words if w.end_s <= cut_s)
        text = " ".join(w.word for w in kept) or scene.narration
        return dataclasses.replace(scene, audio_path=audio, narration=text, words=kept)
    spoken = scene.narration.split()
    share = cut_s / full_s if full_s else 1.0
    text = " ".join(spoken[: max(1, round(len(spoken) * share))])
    return dataclasses.replace(scene, audio_path=audio, narration=text)


def cut_scenes(scenes: list[RenderScene], cut: Cut, work: Path) -> list[RenderScene]:
    chosen = [scenes[i] for i in cut.scenes]
    if cut.last_clip_s is not None:
        chosen[-1] = trim_scene(chosen[-1], cut.last_clip_s, work)
    return chosen
