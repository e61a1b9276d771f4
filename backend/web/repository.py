"""The few reads the pages need that no domain service offers (yet): recent events."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Event


async def recent_events(
    session: AsyncSession, user_id: uuid.UUID, limit: int = 20, types: tuple[str, ...] = ()
) -> list[Event]:
    query = select(Event).where(Event.user_id == user_id)
    if types:
        query = query.where(Event.type.in_(types))
    query = query.order_by(Event.occurred_at.desc()).limit(limit)
    return list(await session.scalars(query))
