from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import USD, Base, IdMixin, TimestampMixin, UTCDateTime


class VideoDailyMetric(IdMixin, TimestampMixin, Base):
    """YouTube Analytics for one of our videos and one (Pacific-time) day.

    Revenue columns are NULL when the revenue is unknown, as in ``channel_daily_metrics``.
    """

    __tablename__ = "video_daily_metrics"
    __table_args__ = (
        UniqueConstraint("video_id", "day"),
        Index("ix_video_daily_metrics_channel_day", "channel_id", "day"),
    )

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("videos.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("channels.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    views: Mapped[int] = mapped_column(Integer, default=0)
    watch_time_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    average_view_duration_seconds: Mapped[float | None] = mapped_column(Float)
    subscribers_gained: Mapped[int] = mapped_column(Integer, default=0)
    subscribers_lost: Mapped[int] = mapped_column(Integer, default=0)
    revenue_usd: Mapped[Decimal | None] = mapped_column(USD)
    ad_revenue_usd: Mapped[Decimal | None] = mapped_column(USD)
    cpm_usd: Mapped[float | None] = mapped_column(Float)
    playback_cpm_usd: Mapped[float | None] = mapped_column(Float)


class VideoStatSnapshot(IdMixin, TimestampMixin, Base):
    """``videos.list(part=statistics)`` for a fresh upload, one row per video and UTC hour.

    Taken hourly for the first hours after publishing (Analytics lags a day or two); the
    first-48-hour views a publish-time model learns from.
    """

    __tablename__ = "video_stat_snapshots"
    __table_args__ = (UniqueConstraint("video_id", "hour"),)

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("videos.id", ondelete="CASCADE"))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)  # the UTC hour the poll ran in
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hours_since_publish: Mapped[float] = mapped_column(Float)
    views: Mapped[int] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
