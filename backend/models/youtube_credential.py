from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class ConnectionStatus(enum.StrEnum):
    connected = "connected"
    needs_reconnect = "needs_reconnect"


class YouTubeCredential(IdMixin, TimestampMixin, Base):
    """One channel's YouTube grant; the tokens are Fernet-encrypted (never plaintext)."""

    __tablename__ = "youtube_credentials"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), unique=True
    )
    youtube_channel_id: Mapped[str | None] = mapped_column(String(64))
    youtube_channel_title: Mapped[str | None] = mapped_column(String(200))
    tokens_encrypted: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ConnectionStatus] = mapped_column(
        Enum(ConnectionStatus, native_enum=False, length=16), default=ConnectionStatus.connected
    )
    status_reason: Mapped[str | None] = mapped_column(String(300))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
