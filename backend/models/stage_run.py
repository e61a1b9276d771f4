from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, TimestampMixin, UTCDateTime
from backend.models.video import VideoStage


class StageStatus(enum.StrEnum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


class StageRun(IdMixin, TimestampMixin, Base):
    """One stage of one video; keyed by (video, stage) so a re-run reuses the row."""

    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("video_id", "stage"),)

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[VideoStage] = mapped_column(Enum(VideoStage, native_enum=False, length=16))
    status: Mapped[StageStatus] = mapped_column(
        Enum(StageStatus, native_enum=False, length=16), default=StageStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # tries of the current round (reset when the stage succeeds or the video is queued again)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    device_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    cost_usd: Mapped[Decimal] = mapped_column(USD, default=Decimal("0"))
    error: Mapped[str | None] = mapped_column(Text)
    artifacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
