from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, UTCDateTime, utcnow


class CostEvent(IdMixin, Base):
    """One line of the cost ledger: what a model call or service charge cost."""

    __tablename__ = "cost_events"
    __table_args__ = (Index("ix_cost_events_channel_time", "channel_id", "occurred_at"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # text, image, speech, embeddings, render, ...
    provider: Mapped[str] = mapped_column(String(64))  # backend/model that served it
    units: Mapped[float] = mapped_column(Float, default=0.0)
    unit: Mapped[str] = mapped_column(String(16), default="call")
    device_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    amount_usd: Mapped[Decimal] = mapped_column(USD)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
