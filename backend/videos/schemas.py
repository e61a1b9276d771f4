from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from backend.agents.script import MAX_SCENES, MIN_SCENES, Scene, Script
from backend.models import StageStatus, VideoFormat, VideoStage, VideoStatus

# Control characters other than tab and newlines: PostgreSQL cannot store NUL in text, and
# none of them belongs in a narration.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MIN_WORDS = 20


class VideoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str | None = Field(default=None, max_length=300)

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if len(value) < 3:
            raise ValueError("topic must have at least 3 characters, or be omitted")
        return value


class StageRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: VideoStage
    status: StageStatus
    attempts: int
    tries: int = 0  # tries of the current round (YTE_STAGE_MAX_ATTEMPTS caps them)
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    device_seconds: float
    cost_usd: float
    error: str | None
    artifacts: dict[str, Any]


class VideoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel_id: uuid.UUID
    topic: str | None
    title: str | None
    status: VideoStatus
    stage: VideoStage | None
    stage_progress: float
    quality_score: float | None
    error: str | None
    youtube_video_id: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    publish_at: datetime | None = None  # the slot asked for (YouTube's publishAt)
    published_at: datetime | None = None
    youtube_privacy: str | None = None  # as YouTube reported it after the upload
    publish_warning: str | None = None  # e.g. forced private: what the owner should do
    publish_holds: list[str] = []  # why the upload stage held the video (it stays ready)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def youtube_url(self) -> str | None:
        return (
            f"https://www.youtube.com/watch?v={self.youtube_video_id}"
            if self.youtube_video_id
            else None
        )


class CostLine(BaseModel):
    key: str
    amount_usd: float
    device_seconds: float
    events: int


class CostBreakdown(BaseModel):
    total_usd: float
    device_seconds: float
    by_stage: list[CostLine]
    by_kind: list[CostLine]


class UploadOut(BaseModel):
    """The YouTube upload of a video, as recorded after every chunk and step."""

    model_config = ConfigDict(from_attributes=True)

    status: str  # pending | uploading | uploaded | failed
    file_size: int
    confirmed_bytes: int
    sessions_started: int
    retries: int
    privacy_requested: str | None
    privacy_reported: str | None
    thumbnail_status: str  # pending | set | not_allowed | failed
    thumbnail_detail: str | None
    caption_status: str  # pending | inserted | failed
    caption_detail: str | None
    error: str | None
    uploaded_at: datetime | None


class PublishRequest(BaseModel):
    """Publish now (``at`` left out) or at a time (with its zone; YouTube's publishAt)."""

    model_config = ConfigDict(extra="forbid")

    at: datetime | None = None


class VideoDetail(VideoOut):
    description: str | None
    tags: list[str]
    script: dict[str, Any] | None
    quality_reasons: list[str]
    approved_by: uuid.UUID | None = None
    approved_at: datetime | None = None
    approved_score: float | None = None
    # Render QA (backend.render.qa): each check's verdict, reason and times; None: not yet.
    render_qa: dict[str, Any] | None = None
    format: VideoFormat = VideoFormat.long
    parent_video_id: uuid.UUID | None = None  # a Short: the long video it was cut from
    # What the owner can do now, by the status machine: retry, cancel, discard, approve,
    # regenerate, edit_script (a button for each, never one that would be refused).
    actions: list[str] = []
    stages: list[StageRunOut] = []
    cost: CostBreakdown | None = None
    upload: UploadOut | None = None
    # For a ready video: what keeps it from YouTube now (empty: it may be published).
    publish_blockers: list[str] = []
    # Money to date (backend.analytics.service.video_profits): YouTube's estimated revenue
    # and that minus the cost ledger; None when YouTube's revenue is unknown (no monetary
    # scope), never 0. A video with no Analytics day yet has earned 0.
    revenue_usd: float | None = None
    profit_usd: float | None = None


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (such as NUL bytes)")
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class SceneEdit(BaseModel):
    """One scene as the owner edits it: what the voice reads and what the image shows."""

    model_config = ConfigDict(extra="forbid")

    narration: str = Field(min_length=10, max_length=1200)
    image_prompt: str = Field(min_length=3, max_length=500)

    @field_validator("narration", "image_prompt", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return _clean_text(value) if isinstance(value, str) else value


class ScriptEdit(BaseModel):
    """The editable part of a held script. Description and tags stay as written (the
    thumbnail stage rewrites them for SEO); the number of scenes stays the same."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=120)
    hook: str = Field(min_length=10, max_length=400)
    scenes: list[SceneEdit] = Field(min_length=MIN_SCENES, max_length=MAX_SCENES)

    @field_validator("title", "hook", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return _clean_text(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _enough_words(self) -> ScriptEdit:
        words = self.word_count()
        if words < MIN_WORDS:
            raise ValueError(f"the narration needs at least {MIN_WORDS} words (it has {words})")
        return self

    def word_count(self) -> int:
        text = " ".join([self.hook, *(s.narration for s in self.scenes)])
        return len(re.findall(r"\b[\w'-]+\b", text))


class ScriptOut(BaseModel):
    video_id: uuid.UUID
    status: VideoStatus
    editable: bool
    title: str
    hook: str
    scenes: list[Scene]
    description: str
    tags: list[str]
    words: int
    quality_score: float | None
    quality_reasons: list[str]

    @classmethod
    def of(
        cls, video_id: uuid.UUID, status: VideoStatus, script: Script, **extra: Any
    ) -> ScriptOut:
        return cls(
            video_id=video_id,
            status=status,
            title=script.title,
            hook=script.hook,
            scenes=script.scenes,
            description=script.description,
            tags=script.tags,
            words=script.word_count(),
            **extra,
        )
