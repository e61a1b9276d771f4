from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, TimestampMixin


class ChannelDailyMetric(IdMixin, TimestampMixin, Base):
    """YouTube analytics for one channel and day (cost comes from the ledger)."""

    __tablename__ = "channel_daily_metrics"
    __table_args__ = (UniqueConstraint("channel_id", "day"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    views: Mapped[int] = mapped_column(Integer, default=0)
    watch_time_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    subscribers_gained: Mapped[int] = mapped_column(Integer, default=0)
    revenue_usd: Mapped[Decimal] = mapped_column(USD, default=Decimal("0"))
