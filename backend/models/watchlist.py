from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class WatchlistEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "watchlist_entries"
    __table_args__ = (UniqueConstraint("user_id", "niche_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    niche_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("niches.id", ondelete="CASCADE"), index=True
    )
    alert_threshold: Mapped[float | None] = mapped_column(Float)
    last_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
