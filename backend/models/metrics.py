from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, TimestampMixin


class ChannelDailyMetric(IdMixin, TimestampMixin, Base):
    """YouTube Analytics for one channel and (Pacific-time) day; cost comes from the ledger.

    The money columns are NULL when the revenue is unknown (the grant lacks the monetary
    scope, or YouTube refused the monetary metrics): unknown is not zero.
    """

    __tablename__ = "channel_daily_metrics"
    __table_args__ = (UniqueConstraint("channel_id", "day"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    views: Mapped[int] = mapped_column(Integer, default=0)
    watch_time_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    average_view_duration_seconds: Mapped[float | None] = mapped_column(Float)
    subscribers_gained: Mapped[int] = mapped_column(Integer, default=0)
    subscribers_lost: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revenue_usd: Mapped[Decimal | None] = mapped_column(USD)  # estimatedRevenue
    ad_revenue_usd: Mapped[Decimal | None] = mapped_column(USD)  # estimatedAdRevenue
    cpm_usd: Mapped[float | None] = mapped_column(Float)
    playback_cpm_usd: Mapped[float | None] = mapped_column(Float)  # playbackBasedCpm
