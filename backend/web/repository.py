"""The few reads the pages need that no domain service offers (yet): events and niches."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Event, Niche, Trend, WatchlistEntry


async def recent_events(
    session: AsyncSession, user_id: uuid.UUID, limit: int = 20, types: tuple[str, ...] = ()
) -> list[Event]:
    query = select(Event).where(Event.user_id == user_id)
    if types:
        query = query.where(Event.type.in_(types))
    query = query.order_by(Event.occurred_at.desc()).limit(limit)
    return list(await session.scalars(query))


async def top_niches(session: AsyncSession, limit: int = 60) -> list[Niche]:
    query = select(Niche).order_by(Niche.score.desc().nulls_last(), Niche.name).limit(limit)
    return list(await session.scalars(query))


async def get_niche(session: AsyncSession, niche_id: uuid.UUID) -> Niche | None:
    return await session.get(Niche, niche_id)


async def trends_for(session: AsyncSession, niche_id: uuid.UUID, limit: int = 3) -> list[Trend]:
    query = (
        select(Trend)
        .where(Trend.niche_id == niche_id)
        .order_by(Trend.growth.desc().nulls_last(), Trend.topic)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def watched(session: AsyncSession, user_id: uuid.UUID) -> dict[uuid.UUID, WatchlistEntry]:
    rows = await session.scalars(select(WatchlistEntry).where(WatchlistEntry.user_id == user_id))
    return {row.niche_id: row for row in rows}


async def watch(
    session: AsyncSession, user_id: uuid.UUID, niche_id: uuid.UUID, threshold: float | None
) -> None:
    entry = await session.scalar(
        select(WatchlistEntry).where(
            WatchlistEntry.user_id == user_id, WatchlistEntry.niche_id == niche_id
        )
    )
    if entry is None:
        session.add(
            WatchlistEntry(
                id=uuid.uuid4(), user_id=user_id, niche_id=niche_id, alert_threshold=threshold
            )
        )
    else:
        entry.alert_threshold = threshold
    await session.flush()


async def unwatch(session: AsyncSession, user_id: uuid.UUID, niche_id: uuid.UUID) -> None:
    await session.execute(
        delete(WatchlistEntry).where(
            WatchlistEntry.user_id == user_id, WatchlistEntry.niche_id == niche_id
        )
    )
