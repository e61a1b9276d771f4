"""The script a video is made from, validated: what every later stage relies on."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator, model_validator

MIN_SCENES, MAX_SCENES = 3, 20
WORDS_PER_MINUTE = 150


class Scene(BaseModel):
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
