from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class UploadStatus(enum.StrEnum):
    pending = "pending"  # no resumable session yet
    uploading = "uploading"  # a session URI is recorded; bytes may be in flight
    uploaded = "uploaded"  # YouTube returned the video resource; its id is recorded
    failed = "failed"  # refused for a reason a retry will not fix (kept in `error`)


class UploadSession(IdMixin, TimestampMixin, Base):
    """One video's YouTube upload: at most one per video, ever (the unique key says so).

    The resumable session URI and the last byte YouTube confirmed are written (committed)
    after every chunk, so a new process resumes the same session instead of starting over.
    """

    __tablename__ = "upload_sessions"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), unique=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[UploadStatus] = mapped_column(
        Enum(UploadStatus, native_enum=False, length=16), default=UploadStatus.pending
    )
    file_path: Mapped[str] = mapped_column(String(1000))
    file_size: Mapped[int] = mapped_column(BigInteger)
    file_mtime_ns: Mapped[int] = mapped_column(BigInteger)
    session_uri: Mapped[str | None] = mapped_column(Text)
    confirmed_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    final_chunk_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    sessions_started: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    request_body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    youtube_video_id: Mapped[str | None] = mapped_column(String(32))
    privacy_requested: Mapped[str | None] = mapped_column(String(16))
    privacy_reported: Mapped[str | None] = mapped_column(String(16))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    thumbnail_status: Mapped[str] = mapped_column(String(16), default="pending")
    thumbnail_detail: Mapped[str | None] = mapped_column(String(500))
    caption_status: Mapped[str] = mapped_column(String(16), default="pending")
    caption_id: Mapped[str | None] = mapped_column(String(128))
    caption_detail: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
