"""The renderer's public data: what to render and what came out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ai.backends.base import WordTiming

# Frame size per video format. The formats are ``backend.models.VideoFormat``'s values (a
# StrEnum, so its members are these strings); this library names them here only, as keys.
FRAME_SIZES: dict[str, tuple[int, int]] = {"long": (1920, 1080), "short": (1080, 1920)}


@dataclass(frozen=True)
class RenderScene:
    """What the renderer needs of one scene: its still image, shown while its narration
    audio plays, and the narration text (for the captions). ``backend.agents.script.Script``
    builds these from its scenes in ``render_scenes``. ``words``: the narration's words as
    the speech engine timed them in the clip (None: captions are estimated from text)."""

    image_path: Path
    audio_path: Path
    narration: str
    words: tuple[WordTiming, ...] | None = None


@dataclass(frozen=True)
class RenderSpec:
    """Everything a render needs. ``card_s`` is the length of each title card (0 disables)."""

    scenes: list[RenderScene]
    title: str
    out_dir: Path
    fmt: str = "long"  # a key of FRAME_SIZES: "long" or "short"
    music_dir: Path | None = None
    intro_text: str | None = None
    outro_text: str | None = None
    fps: int = 30
    basename: str = "video"
    card_s: float = 2.0
    crossfade_s: float = 0.5
    caption_style: str = "line"  # or "word_highlight": the spoken word lit up (Shorts)

    @property
    def frame_size(self) -> tuple[int, int]:
        return FRAME_SIZES[self.fmt]


@dataclass(frozen=True)
class CaptionBox:
    """Where a caption's ink is, in frame pixels (x0, y0, x1, y1), while it is shown."""

    start_s: float
    end_s: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class RenderResult:
    """A finished render. ``seconds`` is the wall-clock time the render took;
    ``clip_seconds`` the measured length of each scene's narration clip, in scene order
    (scene ``k`` starts ``intro_s + sum(clip_seconds[:k])`` into the video)."""

    video_path: Path
    srt_path: Path
    duration_s: float
    narration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str
    encoder: str
    seconds: float
    intro_s: float = 0.0
    outro_s: float = 0.0
    music_path: Path | None = None
    clip_seconds: tuple[float, ...] = ()
    # For render QA (backend.render.qa): the narration alone, as placed on the timeline
    # (a WAV file next to the video; the caller removes it), and every caption's box.
    narration_track: Path | None = None
    caption_boxes: tuple[CaptionBox, ...] = ()

    @property
    def expected_duration_s(self) -> float:
        return self.intro_s + self.narration_s + self.outro_s


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str
    codec: str
    width: int | None = None
    height: int | None = None
    sample_rate: int | None = None
    channels: str | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What ffmpeg reads from a file. ``readable_s`` is how far its packets actually go."""

    path: Path
    duration_s: float
    streams: list[StreamInfo] = field(default_factory=list)
    readable_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def width(self) -> int | None:
        return self.video.width if self.video else None

    @property
    def height(self) -> int | None:
        return self.video.height if self.video else None
