from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.models import StageStatus, VideoStage, VideoStatus


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


class VideoDetail(VideoOut):
    description: str | None
    tags: list[str]
    script: dict[str, Any] | None
    quality_reasons: list[str]
    stages: list[StageRunOut] = []
    cost: CostBreakdown | None = None


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None
