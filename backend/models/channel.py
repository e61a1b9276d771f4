from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, TimestampMixin, UTCDateTime


class ChannelStatus(enum.StrEnum):
    active = "active"
    paused = "paused"


class Privacy(enum.StrEnum):
    """What a channel's uploads become on YouTube (a scheduled one is private until then)."""

    private = "private"
    unlisted = "unlisted"
    public = "public"


class VideoFormat(enum.StrEnum):
    long = "long"
    short = "short"


@dataclass(frozen=True)
class ChannelDefaults:
    """A channel's settings where its owner gives none. Written once, here: the table's
    column defaults, the API schemas (``channels/schemas.py``), the new-channel page and
    ``ytempire channel create`` read them."""

    language: str = "en"
    format: VideoFormat = VideoFormat.long
    cadence_per_day: float = 1.0
    daily_budget_usd: Decimal = Decimal("5")
    monthly_budget_usd: Decimal = Decimal("100")
    quality_threshold: float = 0.75
    voice: str = "en-us"
    voice_speed: float = 1.0
    voice_pitch: int = 50
    tone: str = "informative"
    target_minutes: float = 1.0
    privacy: Privacy = Privacy.private
    auto_publish: bool = False
    autopilot: bool = False
    autopilot_buffer_days: int = 2
    timezone: str = "UTC"


CHANNEL_DEFAULTS = ChannelDefaults()
_D = CHANNEL_DEFAULTS


class Channel(IdMixin, TimestampMixin, Base):
    __tablename__ = "channels"
    __table_args__ = (Index("ix_channels_owner_alive", "owner_id", "deleted_at"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    niche: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16), default=_D.language)
    status: Mapped[ChannelStatus] = mapped_column(
        Enum(ChannelStatus, native_enum=False, length=16), default=ChannelStatus.active
    )
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    youtube_channel_id: Mapped[str | None] = mapped_column(String(64))
    # OAuth credentials for uploads, Fernet-encrypted with the secret key (never plaintext).
    youtube_credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    format: Mapped[VideoFormat] = mapped_column(
        Enum(VideoFormat, native_enum=False, length=16), default=_D.format
    )
    cadence_per_day: Mapped[float] = mapped_column(Float, default=_D.cadence_per_day)
    daily_budget_usd: Mapped[Decimal] = mapped_column(USD, default=_D.daily_budget_usd)
    monthly_budget_usd: Mapped[Decimal] = mapped_column(USD, default=_D.monthly_budget_usd)
    quality_threshold: Mapped[float] = mapped_column(Float, default=_D.quality_threshold)
    voice_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    style_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Publishing. made_for_kids has no default: the owner must say before the first upload.
    made_for_kids: Mapped[bool | None] = mapped_column(Boolean)
    privacy: Mapped[Privacy] = mapped_column(
        Enum(Privacy, native_enum=False, length=16), default=_D.privacy, server_default="private"
    )
    auto_publish: Mapped[bool] = mapped_column(
        Boolean, default=_D.auto_publish, server_default=false()
    )
    # Autopilot (backend/autopilot): keep videos made for the publish slots of the next
    # ``autopilot_buffer_days`` days, spread over the day in ``timezone`` (an IANA name).
    autopilot: Mapped[bool] = mapped_column(Boolean, default=_D.autopilot, server_default=false())
    autopilot_buffer_days: Mapped[int] = mapped_column(
        Integer, default=_D.autopilot_buffer_days, server_default="2"
    )
    timezone: Mapped[str] = mapped_column(String(64), default=_D.timezone, server_default="UTC")
    # Media retention (backend/media): intermediates of videos published longer ago than
    # this many days are pruned (None: kept forever); the MP4 too only with ``prune_mp4``.
    media_retention_days: Mapped[int | None] = mapped_column(Integer)
    prune_mp4: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
