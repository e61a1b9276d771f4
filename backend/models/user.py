from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class UserRole(enum.StrEnum):
    admin = "admin"
    member = "member"


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(
        Enum(UserRole, native_enum=False, length=16), default=UserRole.member
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_limit: Mapped[int] = mapped_column(Integer, default=5)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
