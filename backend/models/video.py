from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime
from backend.models.channel import VideoFormat


class VideoStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    needs_review = "needs_review"
    ready = "ready"
    publishing = "publishing"
    scheduled = "scheduled"  # uploaded private, YouTube makes it public at `publish_at`
    published = "published"
    failed = "failed"
    cancelled = "cancelled"
    discarded = "discarded"  # a finished video the owner threw away (can be made again)


class VideoStage(enum.StrEnum):
    """The production stages, in order."""

    topic = "topic"
    script = "script"
    quality = "quality"
    voice = "voice"
    images = "images"
    render = "render"
    thumbnail = "thumbnail"
    upload = "upload"


STAGE_ORDER: tuple[VideoStage, ...] = tuple(VideoStage)
# What production runs; it ends in `ready` after the thumbnail (upload belongs to publishing).
PRODUCTION_STAGES: tuple[VideoStage, ...] = STAGE_ORDER[: STAGE_ORDER.index(VideoStage.upload)]


class Video(IdMixin, TimestampMixin, Base):
    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_channel_status", "channel_id", "status"),
        Index("ix_videos_channel_created", "channel_id", "created_at", "id"),
        Index("ix_videos_status_updated", "status", "updated_at"),
        Index("ix_videos_channel_status_created", "channel_id", "status", "created_at", "id"),
        Index(
            "ix_videos_channel_completed",
            "channel_id",
            "completed_at",
            postgresql_where=text("completed_at IS NOT NULL"),
            sqlite_where=text("completed_at IS NOT NULL"),
        ),
        Index(
            "ix_videos_channel_failed",
            "channel_id",
            "failed_at",
            postgresql_where=text("failed_at IS NOT NULL"),
            sqlite_where=text("failed_at IS NOT NULL"),
        ),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    topic: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[VideoStatus] = mapped_column(
        Enum(VideoStatus, native_enum=False, length=16), default=VideoStatus.queued
    )
    stage: Mapped[VideoStage | None] = mapped_column(Enum(VideoStage, native_enum=False, length=16))
    stage_progress: Mapped[float] = mapped_column(Float, default=0.0)
    script: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    quality_score: Mapped[float | None] = mapped_column(Float)
    quality_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    youtube_video_id: Mapped[str | None] = mapped_column(String(32))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A script held for review and approved anyway: by whom (user id), when, at what score.
    approved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_score: Mapped[float | None] = mapped_column(Float)
    # Publishing: the slot asked for (None: now), the privacy YouTube reported, a warning
    # when it differs from the one asked, and why the video is held before upload.
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    youtube_privacy: Mapped[str | None] = mapped_column(String(16))
    publish_warning: Mapped[str | None] = mapped_column(Text)
    publish_holds: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Media retention: when the intermediates (and maybe the MP4) were pruned.
    media_pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A Short cut from a long video is its own video of the same channel, linked to it.
    format: Mapped[VideoFormat] = mapped_column(
        Enum(VideoFormat, native_enum=False, length=16),
        default=VideoFormat.long,
        server_default="long",
    )
    parent_video_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="SET NULL"), index=True
    )
    # The checks run on the render before ``ready`` (backend/render QA): each with its
    # verdict, reason and frame times. None: not checked yet.
    render_qa: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The thumbnail variant the owner picked (index into the thumbnail stage's variants).
    thumbnail_variant: Mapped[int | None] = mapped_column(Integer)
