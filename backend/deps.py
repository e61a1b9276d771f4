"""Request-scoped dependencies: settings, the unit-of-work session, Redis, the current user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import redis
import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.session import commit, rollback
from backend.errors import Forbidden, Unauthorized
from backend.models import User, UserRole
from backend.security.tokens import AccessClaims, decode_access_token, denylist_key
from backend.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await rollback(session)
            raise
        await commit(session)


async def get_redis(request: Request) -> aioredis.Redis:
    client: aioredis.Redis = request.app.state.redis.aio
    return client


async def get_sync_redis(request: Request) -> redis.Redis:
    client: redis.Redis = request.app.state.redis.sync
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
SyncRedisDep = Annotated[redis.Redis, Depends(get_sync_redis)]

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _claims(token: str, settings: Settings, redis_client: aioredis.Redis) -> AccessClaims:
    claims = decode_access_token(token, settings.resolved_secret_key())
    if await redis_client.exists(denylist_key(claims.jti)):
        raise Unauthorized("Access token has been revoked", code="token_revoked")
    return claims


async def get_current_user(
    request: Request,
    credentials: BearerDep,
    session: SessionDep,
    settings: SettingsDep,
    redis_client: RedisDep,
) -> User:
    token = credentials.credentials if credentials else None
    token = token or getattr(request.state, "session_token", None)
    if not token:
        raise Unauthorized("Authentication required", code="not_authenticated")
    claims = await _claims(token, settings, redis_client)
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Account is disabled or no longer exists", code="token_invalid")
    if user.password_changed_at and claims.issued_at < user.password_changed_at.replace(
        microsecond=0
    ):
        raise Unauthorized("Password changed; sign in again", code="token_revoked")
    request.state.claims = claims
    return user


async def get_optional_user(
    request: Request,
    credentials: BearerDep,
    session: SessionDep,
    settings: SettingsDep,
    redis_client: RedisDep,
) -> User | None:
    if credentials is None:
        return None
    return await get_current_user(request, credentials, session, settings, redis_client)


def require_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    if user.role != UserRole.admin:
        raise Forbidden("Administrator role required", code="admin_required")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]
AdminUser = Annotated[User, Depends(require_admin)]


def parse_uuid(value: str, resource: str) -> uuid.UUID:
    from backend.errors import NotFound

    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(resource, value) from exc
