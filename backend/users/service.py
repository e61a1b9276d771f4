from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import repository as auth_repository
from backend.db.base import utcnow
from backend.errors import Conflict, NotFound, Unauthorized
from backend.models import User
from backend.security.passwords import hash_password, verify_password
from backend.users.schemas import UserUpdate

log = structlog.get_logger(__name__)


async def update_me(session: AsyncSession, user: User, data: UserUpdate) -> User:
    if data.current_password is not None and not verify_password(
        data.current_password, user.password_hash
    ):
        raise Unauthorized("Current password is incorrect", code="invalid_credentials")
    if "full_name" in data.model_fields_set:
        user.full_name = data.full_name
    if data.email and data.email.lower() != user.email:
        if await auth_repository.get_user_by_email(session, data.email) is not None:
            raise Conflict("A user with this email already exists", code="email_taken")
        user.email = data.email.lower()
    if data.new_password:
        await set_password(session, user, data.new_password)
    await session.flush()
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    """Change a password and end every session that used the old one."""
    now = utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    await auth_repository.revoke_user_tokens(session, user.id, now)
    log.info("user.password_changed", user_id=str(user.id))


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.created_at)))


async def get_by_email(session: AsyncSession, email: str) -> User:
    user = await auth_repository.get_user_by_email(session, email)
    if user is None:
        raise NotFound("user", email)
    return user
