from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import repository as auth_repository
from backend.db.base import utcnow
from backend.errors import Conflict, NotFound, Unauthorized
from backend.models import User, UserRole
from backend.security.passwords import hash_password, verify_password
from backend.users import repository
from backend.users.schemas import AdminUserUpdate, UserUpdate

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
    return await repository.list_users(session)


async def get_by_email(session: AsyncSession, email: str) -> User:
    user = await auth_repository.get_user_by_email(session, email)
    if user is None:
        missing = NotFound("user", email)
        missing.message = f"no user has the email {email}"
        raise missing
    return user


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def admin_update(session: AsyncSession, user: User, data: AdminUserUpdate) -> User:
    """Change a user's role, channel limit or activity (an administrator's call).

    The last active administrator can be neither demoted nor deactivated, so the
    appliance always keeps someone who can manage it. A deactivated user's sessions
    end at once: refresh tokens are revoked, and access tokens are refused because
    every request reads ``is_active``.
    """
    await auth_repository.lock_users(session)
    await session.refresh(user)  # read after the lock: a concurrent change is seen
    loses_admin = (
        user.role == UserRole.admin
        and user.is_active
        and ((data.role is not None and data.role != UserRole.admin) or data.is_active is False)
    )
    if loses_admin and await auth_repository.count_active_admins(session) <= 1:
        what = "deactivated" if data.is_active is False else "made a member"
        raise Conflict(
            f"{user.email} is the last active administrator and cannot be {what}; "
            "make another user an administrator first",
            code="last_admin",
        )
    if data.channel_limit is not None:
        user.channel_limit = data.channel_limit
    if data.role is not None:
        user.role = data.role
    if data.is_active is not None and data.is_active != user.is_active:
        user.is_active = data.is_active
        if not data.is_active:
            await auth_repository.revoke_user_tokens(session, user.id, utcnow())
    await session.flush()
    log.info(
        "user.admin_update",
        user_id=str(user.id),
        changes=data.model_dump(exclude_none=True, mode="json"),
    )
    return user
