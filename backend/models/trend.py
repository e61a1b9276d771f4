from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class Trend(IdMixin, TimestampMixin, Base):
    """An interest series for a topic from one source, with its latest forecast."""

    __tablename__ = "trends"
    __table_args__ = (UniqueConstraint("topic", "source"),)

    niche_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("niches.id", ondelete="SET NULL"), index=True
    )
    topic: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(32))
    series: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    forecast: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    growth: Mapped[float | None] = mapped_column(Float)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
