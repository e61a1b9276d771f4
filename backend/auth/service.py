"""Registration, sign-in, refresh-token rotation and sign-out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import redis.asyncio as aioredis
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import repository
from backend.auth.schemas import RegisterIn, TokenPair
from backend.db.base import utcnow
from backend.errors import Conflict, Forbidden, RefreshTokenReused, Unauthorized
from backend.models import RefreshToken, User, UserRole
from backend.security.passwords import hash_password, verify_password
from backend.security.tokens import (
    AccessClaims,
    create_access_token,
    denylist_key,
    hash_token,
    new_refresh_token,
)
from backend.settings import Settings

log = structlog.get_logger(__name__)


async def create_user(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    full_name: str | None = None,
    role: UserRole = UserRole.member,
    channel_limit: int | None = None,
) -> User:
    if await repository.get_user_by_email(session, email) is not None:
        raise Conflict("A user with this email already exists", code="email_taken")
    user = User(
        id=uuid.uuid4(),
        email=email.lower(),
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        is_active=True,
        channel_limit=channel_limit or settings.default_channel_limit,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("A user with this email already exists", code="email_taken") from exc
    log.info("user.created", user_id=str(user.id), role=role.value)
    return user


async def register(
    session: AsyncSession, settings: Settings, data: RegisterIn, actor: User | None
) -> User:
    """The first user becomes admin; later users are created by admins or by open sign-up."""
    await repository.lock_users(session)  # two "first" registrations cannot both be first
    first = await repository.count_users(session) == 0
    is_admin = actor is not None and actor.role == UserRole.admin
    if not first and not is_admin and not settings.open_registration:
        raise Forbidden(
            "Registration is closed; ask an administrator to create your account",
            code="registration_closed",
        )
    if (data.role is not None or data.channel_limit is not None) and not is_admin and not first:
        raise Forbidden("Only administrators set roles and limits", code="admin_required")
    role = UserRole.admin if first else (data.role or UserRole.member)
    return await create_user(
        session,
        settings,
        email=str(data.email),
        password=data.password,
        full_name=data.full_name,
        role=role,
        channel_limit=data.channel_limit,
    )


async def create_owner(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    full_name: str | None = None,
) -> User:
    """First run: the appliance's first user, an admin. Refused once any user exists."""
    await repository.lock_users(session)
    if await repository.count_users(session) > 0:
        raise Conflict("This appliance already has an owner; sign in instead", code="has_owner")
    return await create_user(
        session,
        settings,
        email=email,
        password=password,
        full_name=full_name,
        role=UserRole.admin,
    )


async def has_users(session: AsyncSession) -> bool:
    return await repository.count_users(session) > 0


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    user = await repository.get_user_by_email(session, email)
    # argon2 costs ~50 ms of CPU by design: off the event loop, so other requests go on.
    ok = await asyncio.to_thread(verify_password, password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        return None
    return user


async def issue_tokens(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID | None = None
) -> TokenPair:
    access, _ = create_access_token(
        user.id, user.role.value, settings.resolved_secret_key(), settings.access_token_minutes
    )
    refresh = new_refresh_token()
    lifetime = timedelta(days=settings.refresh_token_days)
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=hash_token(refresh),
            expires_at=utcnow() + lifetime,
        )
    )
    await session.flush()
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_minutes * 60,
        refresh_expires_in=int(lifetime.total_seconds()),
    )


async def rotate(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair. A reused token revokes its whole family."""
    now = utcnow()
    stored = await repository.get_refresh_token(session, hash_token(refresh_token))
    if stored is None:
        raise Unauthorized("Refresh token is invalid", code="refresh_invalid")
    if stored.used_at is not None or stored.revoked_at is not None:
        # Reuse of a rotated token means it leaked: end every session of that login.
        await repository.revoke_family(session, stored.family_id, now)
        log.warning("auth.refresh_reuse", user_id=str(stored.user_id))
        raise RefreshTokenReused()
    if stored.expires_at <= now:
        raise Unauthorized("Refresh token has expired", code="refresh_expired")
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account is disabled", code="refresh_invalid")
    stored.used_at = now
    return await issue_tokens(session, settings, user, family_id=stored.family_id)


async def logout(
    session: AsyncSession,
    redis_client: aioredis.Redis,
    user: User,
    claims: AccessClaims | None,
    refresh_token: str | None,
) -> None:
    """Revoke the refresh token's family (or all of the user's) and deny the access token."""
    now = utcnow()
    stored = (
        await repository.get_refresh_token(session, hash_token(refresh_token))
        if refresh_token
        else None
    )
    if stored is not None and stored.user_id == user.id:
        await repository.revoke_family(session, stored.family_id, now)
    else:
        await repository.revoke_user_tokens(session, user.id, now)
    if claims is not None and claims.jti:
        ttl = max(int((claims.expires_at - now).total_seconds()), 1)
        await redis_client.set(denylist_key(claims.jti), b"1", ex=ttl)
