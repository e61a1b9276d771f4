from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from backend.auth.schemas import UserOut
from backend.models import UserRole

__all__ = ["AdminUserUpdate", "UserOut", "UserUpdate"]


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    current_password: str | None = Field(default=None, max_length=128)
    new_password: str | None = Field(default=None, min_length=10, max_length=128)

    @model_validator(mode="after")
    def _password_change_needs_current(self) -> UserUpdate:
        if (self.new_password or self.email) and not self.current_password:
            raise ValueError("current_password is required to change the email or password")
        return self


class AdminUserUpdate(BaseModel):
    """What an administrator changes on an account; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    role: UserRole | None = None
    channel_limit: int | None = Field(default=None, ge=1, le=100)
    is_active: bool | None = None
