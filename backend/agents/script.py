"""The script a video is made from, validated: what every later stage relies on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

if TYPE_CHECKING:
    from ai.backends.base import WordTiming
    from backend.render import RenderScene

MIN_SCENES, MAX_SCENES = 3, 20
# The pace scripts are planned and estimated at (the content strategist's length, the
# quality check's duration, chapter times before there is audio). The voice's real pace is
# ``Settings.narration_wpm``; measured clip durations replace both once there is audio.
WORDS_PER_MINUTE = 150


LAYOUTS: tuple[str, ...] = ("key_fact", "list", "big_number", "quote", "comparison", "chart")
# How a slide lays out a scene's content (the CPU renderer): one of ``LAYOUTS``. Chosen from
# what the scene's content has; no two consecutive scenes of a script share one.
Layout = Literal["key_fact", "list", "big_number", "quote", "comparison", "chart"]


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class Visual(BaseModel):
    """What the picture of a scene shows, as a person would brief an illustrator. The image
    prompt is composed from it (:meth:`prompt`), not a keyword list."""

    subject: str = Field(min_length=2, max_length=200)  # the one thing in focus
    setting: str = Field(default="", max_length=200)  # where / around it
    composition: str = Field(default="", max_length=160)  # framing, viewpoint
    style: str = Field(default="", max_length=160)  # medium, light, palette

    @field_validator("subject", "setting", "composition", "style", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return "" if value is None else _stripped(value)

    def prompt(self) -> str:
        """One sentence for an image model: subject, setting, composition, style."""
        parts = [self.subject]
        if self.setting:
            parts.append(self.setting)
        text = ", ".join(parts)
        if self.composition:
            text += f"; {self.composition}"
        if self.style:
            text += f"; {self.style}"
        return (text + "; no text, no letters")[:500]


class BigNumber(BaseModel):
    """One number of the narration, shown large: ``value`` as written there ("4.6",
    "93 million"), its unit ("%", "km") and what it counts ("years old")."""

    value: str = Field(min_length=1, max_length=24)
    unit: str = Field(default="", max_length=24)
    label: str = Field(default="", max_length=80)


class ChartPoint(BaseModel):
    """One bar of a scene's chart: a label and a number said in the narration."""

    label: str = Field(min_length=1, max_length=40)
    value: float


class ComparisonSide(BaseModel):
    label: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=200)


class Comparison(BaseModel):
    left: ComparisonSide
    right: ComparisonSide


class Scene(BaseModel):
    """One scene of a script: what the voice says and what the picture shows. The one
    scene type: stored as JSON in the video's script, edited on the review page, and turned
    into the renderer's input by :meth:`Script.render_scenes`.

    Besides the narration and the image prompt, a scene carries what its picture is made
    of: ``visual`` (for an image model) and the slide content (``key_fact``, ``items``,
    ``big_number``, ``quote``, ``comparison``, ``chart``) with the ``layout`` to show it in.
    The LLM writes them where it can; a :class:`Script` completes what is missing from the
    narration itself (``backend.agents.scene_content``) and keeps only numbers the narration
    says, so every validated script's scenes have a key fact and a layout."""

    narration: str = Field(min_length=10, max_length=1200)
    image_prompt: str = Field(min_length=3, max_length=500)
    visual: Visual | None = None
    key_fact: str = Field(default="", max_length=160)
    items: list[str] = Field(default_factory=list, max_length=8)
    big_number: BigNumber | None = None
    quote: str = Field(default="", max_length=300)
    comparison: Comparison | None = None
    chart: list[ChartPoint] = Field(default_factory=list, max_length=8)
    layout: Layout | None = None

    @model_validator(mode="before")
    @classmethod
    def _prompt_from_visual(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("image_prompt"):
            visual = data.get("visual")
            if isinstance(visual, dict) and visual.get("subject"):
                data = {**data, "image_prompt": Visual.model_validate(visual).prompt()}
        return data

    @field_validator("narration", "image_prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("key_fact", "quote", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        return "" if value is None else _stripped(value)

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip()[:120] for v in value if str(v).strip()][:8]
        return value

    @field_validator("chart", mode="before")
    @classmethod
    def _chart(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("layout", mode="before")
    @classmethod
    def _layout(cls, value: Any) -> Any:
        """An unknown hint (a model's "numbered list") is no hint: the script picks one."""
        if isinstance(value, str):
            value = value.strip().lower().replace(" ", "_").replace("-", "_")
            return value if value in LAYOUTS else None
        return value


class Script(BaseModel):
    title: str = Field(min_length=3, max_length=120)
    hook: str = Field(min_length=10, max_length=400)
    scenes: list[Scene] = Field(min_length=MIN_SCENES, max_length=MAX_SCENES)
    description: str = Field(min_length=10, max_length=5000)
    tags: list[str] = Field(min_length=1, max_length=30)

    @field_validator("title", "hook", "description")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip() for t in tags if t.strip()]
        if not cleaned:
            raise ValueError("at least one non-empty tag is required")
        if any(len(t) > 100 for t in cleaned):
            raise ValueError("a tag is longer than 100 characters")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _enough_words(self) -> Script:
        if self.word_count() < 20:
            raise ValueError(f"the narration has only {self.word_count()} words")
        return self

    @model_validator(mode="after")
    def _complete_scenes(self) -> Script:
        """Each scene's slide content completed from its narration (numbers only as said
        there) and layouts chosen so that no two consecutive scenes share one."""
        from backend.agents.scene_content import complete_scenes

        self.scenes = complete_scenes(self.scenes)
        return self

    def narration_text(self) -> str:
        """Everything the voice reads, hook first, one paragraph per scene."""
        return "\n\n".join([self.hook, *(s.narration for s in self.scenes)])

    def word_count(self) -> int:
        return len(re.findall(r"\b[\w'-]+\b", self.narration_text()))

    def estimated_seconds(self) -> float:
        return self.word_count() / WORDS_PER_MINUTE * 60

    def spoken_texts(self) -> list[str]:
        """What the voice reads, one audio clip per scene: the hook opens the first clip."""
        return [
            f"{self.hook} {scene.narration}".strip() if i == 0 else scene.narration
            for i, scene in enumerate(self.scenes)
        ]

    def chapter_starts(
        self, clip_seconds: Sequence[float] | None = None, lead_in_s: float = 0.0
    ) -> list[float]:
        """Where each scene's own narration starts in the video, in seconds.

        From the voice clips' measured lengths (``clip_seconds``, one per scene, in order)
        after ``lead_in_s`` of title card: scene ``k`` (from 0) starts at
        ``lead_in_s + sum(clip_seconds[:k])``, except the first, which the hook opens: it
        starts once the hook is read, at the hook's share (by words) of its clip. Without
        clip lengths (no audio yet) each clip is estimated at ``WORDS_PER_MINUTE``."""
        texts = self.spoken_texts()
        if clip_seconds is None:
            clip_seconds = [len(text.split()) / WORDS_PER_MINUTE * 60 for text in texts]
        if len(clip_seconds) != len(texts):
            raise ValueError(
                f"{len(texts)} scenes need as many clip lengths; got {len(clip_seconds)}"
            )
        hook_share = len(self.hook.split()) / max(1, len(texts[0].split()))
        starts: list[float] = []
        elapsed = lead_in_s
        for index, seconds in enumerate(clip_seconds):
            starts.append(elapsed + (seconds * hook_share if index == 0 else 0.0))
            elapsed += seconds
        return starts

    def render_scenes(
        self,
        images: Sequence[Path],
        voices: Sequence[Path],
        words: Sequence[tuple[WordTiming, ...] | None] | None = None,
    ) -> list[RenderScene]:
        """The renderer's input: per scene its still, its narration clip and the words spoken
        (with ``words``, each clip's word timings from the speech engine, for the captions).

        The one place a script's scenes become :class:`backend.render.RenderScene`; the
        renderer, a leaf library, knows nothing of scripts."""
        from backend.render import RenderScene  # the renderer loads only where it is used

        if not len(images) == len(voices) == len(self.scenes):
            raise ValueError(
                f"{len(self.scenes)} scenes need as many images and voice clips; "
                f"got {len(images)} images and {len(voices)} clips"
            )
        timings = list(words) if words is not None else [None] * len(self.scenes)
        if len(timings) != len(self.scenes):
            raise ValueError(f"{len(self.scenes)} scenes need as many word timings")
        return [
            RenderScene(image_path=image, audio_path=voice, narration=text, words=timed)
            for image, voice, text, timed in zip(
                images, voices, self.spoken_texts(), timings, strict=True
            )
        ]
