from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class AutopilotSlot(IdMixin, TimestampMixin, Base):
    """A publish slot the autopilot gave a video. Unique per channel and time: two ticks
    that race for one slot cannot both make its video (the second insert fails)."""

    __tablename__ = "autopilot_slots"
    __table_args__ = (UniqueConstraint("channel_id", "slot_at"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The slot's current video; a failed one may be replaced (``videos_made`` counts them).
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="SET NULL"), index=True
    )
    videos_made: Mapped[int] = mapped_column(Integer, default=1)


class AutopilotTick(Base):
    """The last autopilot tick of a channel: what it wanted, made and why it stopped."""

    __tablename__ = "autopilot_ticks"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wanted: Mapped[int] = mapped_column(Integer, default=0)  # slots in the buffer window
    buffered: Mapped[int] = mapped_column(Integer, default=0)  # of those with a live video
    made: Mapped[int] = mapped_column(Integer, default=0)  # videos made by this tick
    # Why the buffer is not full after the tick (None: it is): a code and a sentence.
    skip_code: Mapped[str | None] = mapped_column(String(32))
    skip_reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
