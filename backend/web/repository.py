"""The few reads the pages need that no domain service offers (yet): recent events, and
which channel a YouTube consent answer belongs to (to check its owner before completing it)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Event, YouTubeAuthorization
from backend.publishing.oauth import hash_state


async def recent_events(
    session: AsyncSession, user_id: uuid.UUID, limit: int = 20, types: tuple[str, ...] = ()
) -> list[Event]:
    query = select(Event).where(Event.user_id == user_id)
    if types:
        query = query.where(Event.type.in_(types))
    query = query.order_by(Event.occurred_at.desc()).limit(limit)
    return list(await session.scalars(query))


async def consent_channel(session: AsyncSession, state: str) -> uuid.UUID | None:
    """The channel a consent in progress was started for, by its `state` (not consumed)."""
    if not state:
        return None
    return await session.scalar(
        select(YouTubeAuthorization.channel_id).where(
            YouTubeAuthorization.state_hash == hash_state(state)
        )
    )
