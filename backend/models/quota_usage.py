from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin


class QuotaUsage(IdMixin, TimestampMixin, Base):
    """YouTube Data API units spent by one Google Cloud project on one Pacific-time day."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("project_id", "day"),)

    project_id: Mapped[str] = mapped_column(String(128))
    day: Mapped[date] = mapped_column(Date)  # the Pacific-time date Google counts in
    units: Mapped[int] = mapped_column(Integer, default=0)
    limit_units: Mapped[int] = mapped_column(Integer)
    exhausted: Mapped[bool] = mapped_column(default=False)  # YouTube said quotaExceeded
