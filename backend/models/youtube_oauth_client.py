from __future__ import annotations

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin


class YouTubeOAuthClient(IdMixin, TimestampMixin, Base):
    """The owner's Google Cloud OAuth client (one per appliance); the secret is encrypted."""

    __tablename__ = "youtube_oauth_clients"

    name: Mapped[str] = mapped_column(String(32), unique=True, default="default")
    project_id: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[str] = mapped_column(String(256))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
