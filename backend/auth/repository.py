from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import false, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import RefreshToken, User, UserRole

# pg_advisory_xact_lock key for "who may be or create an admin" (any constant will do)
USERS_LOCK_KEY = 0x59544555


async def lock_users(session: AsyncSession) -> None:
    """Serialise the first sign-up and role/activity changes until the transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock; on SQLite a (no-op) write takes
    the database write lock, so whatever is counted next cannot change under us.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": USERS_LOCK_KEY})
    else:
        await session.execute(update(User).where(false()).values(updated_at=User.updated_at))


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    return result


async def get_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )
    return result


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=when)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=when)
    )


async def count_active_admins(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == UserRole.admin, User.is_active.is_(True))
    )
    return int(await session.scalar(query) or 0)
