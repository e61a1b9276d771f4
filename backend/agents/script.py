"""The script a video is made from, validated: what every later stage relies on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, field_validator, model_validator

if TYPE_CHECKING:
    from backend.render import RenderScene

MIN_SCENES, MAX_SCENES = 3, 20
# The pace scripts are planned and estimated at (the content strategist's length, the
# quality check's duration, chapter times before there is audio). The voice's real pace is
# ``Settings.narration_wpm``; measured clip durations replace both once there is audio.
WORDS_PER_MINUTE = 150


class Scene(BaseModel):
    """One scene of a script: what the voice says and what the picture shows. The one
    scene type: stored as JSON in the video's script, edited on the review page, and turned
    into the renderer's input by :meth:`Script.render_scenes`."""

    narration: str = Field(min_length=10, max_length=1200)
    image_prompt: str = Field(min_length=3, max_length=500)

    @field_validator("narration", "image_prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
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

    def render_scenes(self, images: Sequence[Path], voices: Sequence[Path]) -> list[RenderScene]:
        """The renderer's input: per scene its still, its narration clip and the words spoken.

        The one place a script's scenes become :class:`backend.render.RenderScene`; the
        renderer, a leaf library, knows nothing of scripts."""
        from backend.render import RenderScene  # the renderer loads only where it is used

        if not len(images) == len(voices) == len(self.scenes):
            raise ValueError(
                f"{len(self.scenes)} scenes need as many images and voice clips; "
                f"got {len(images)} images and {len(voices)} clips"
            )
        return [
            RenderScene(image_path=image, audio_path=voice, narration=text)
            for image, voice, text in zip(images, voices, self.spoken_texts(), strict=True)
        ]
