"""Queries of niches, their trends and watchlist entries (the only SQL of this domain)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import String, cast, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from backend.models import Niche, Trend, WatchlistEntry
from backend.niches.trends.match import normalize_category

Sort = Literal["score", "recent", "name"]


@dataclass(frozen=True, slots=True)
class NicheFilter:
    category: str | None = None
    min_score: float | None = None
    source: str | None = None


async def get(session: AsyncSession, niche_id: uuid.UUID) -> Niche | None:
    return await session.get(Niche, niche_id)


async def categories_by_name(session: AsyncSession, names: Sequence[str]) -> dict[str, str]:
    """The category of each stored niche named in ``names`` (keyed by normalized name)."""
    wanted = sorted({n.strip().lower() for n in names if n.strip()})
    if not wanted:
        return {}
    query = select(Niche.name, Niche.category).where(func.lower(Niche.name).in_(wanted))
    return {normalize_category(n): c for n, c in await session.execute(query)}


async def get_by_name(session: AsyncSession, name: str) -> Niche | None:
    query = select(Niche).where(func.lower(Niche.name) == name.strip().lower())
    result = await session.scalar(query)
    return result


def _filters(spec: NicheFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if spec.category:
        clauses.append(Niche.category == spec.category)
    if spec.min_score is not None:
        clauses.append(Niche.score >= spec.min_score)
    if spec.source:
        # the JSON list as text holds each source quoted; works on PostgreSQL and SQLite
        clauses.append(cast(Niche.sources, String).like(f'%"{spec.source}"%'))
    return clauses


async def page(
    session: AsyncSession, spec: NicheFilter, sort: Sort, limit: int, after: tuple[Any, str] | None
) -> list[Niche]:
    """Keyset pagination: ``after`` is the (sort value, id) of the previous page's last row."""
    query = select(Niche).where(*_filters(spec))
    if sort == "score":
        query = query.where(Niche.score.is_not(None))
        ordering: tuple[Any, ...] = (desc(Niche.score), desc(Niche.id))
        if after is not None:
            value, last = float(after[0]), uuid.UUID(after[1])
            query = query.where(
                (Niche.score < value) | ((Niche.score == value) & (Niche.id < last))
            )
    elif sort == "recent":
        ordering = (desc(Niche.created_at), desc(Niche.id))
        if after is not None:
            from datetime import datetime

            stamp, last = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
            query = query.where(
                (Niche.created_at < stamp) | ((Niche.created_at == stamp) & (Niche.id < last))
            )
    else:
        ordering = (Niche.name, Niche.id)
        if after is not None:
            query = query.where(
                (Niche.name > after[0])
                | ((Niche.name == after[0]) & (Niche.id > uuid.UUID(after[1])))
            )
    return list(await session.scalars(query.order_by(*ordering).limit(limit)))


async def ranked(session: AsyncSession, limit: int) -> list[Niche]:
    """Every niche, best score first, unscored ones last (the dashboard's list)."""
    query = select(Niche).order_by(Niche.score.desc().nulls_last(), Niche.name).limit(limit)
    return list(await session.scalars(query))


async def trending(
    session: AsyncSession, limit: int, category: str | None = None
) -> list[tuple[Niche, float]]:
    """Niches whose interest is forecast to grow fastest (the best trend row of each)."""
    growth = func.max(Trend.growth).label("growth")
    query = (
        select(Niche, growth)
        .join(Trend, Trend.niche_id == Niche.id)
        .where(Trend.growth.is_not(None), Trend.growth > 0)
        .group_by(Niche.id)
        .order_by(desc(growth))
        .limit(limit)
    )
    if category:
        query = query.where(Niche.category == category)
    return [(n, float(g or 0.0)) for n, g in (await session.execute(query)).all()]


async def category_stats(session: AsyncSession) -> dict[str, tuple[int, float | None]]:
    query = select(Niche.category, func.count(), func.avg(Niche.score)).group_by(Niche.category)
    return {
        c: (int(n), float(a) if a is not None else None)
        for c, n, a in (await session.execute(query)).all()
    }


async def embedded(session: AsyncSession, category: str | None = None) -> list[Niche]:
    query = select(Niche).where(Niche.embedding.is_not(None))
    if category:
        query = query.where(Niche.category == category)
    return list(await session.scalars(query))


async def all_names(session: AsyncSession) -> list[Niche]:
    return list(await session.scalars(select(Niche).order_by(Niche.name)))


async def due_for_scoring(session: AsyncSession, limit: int) -> list[uuid.UUID]:
    """Never-scored niches first, then the longest since their last scoring."""
    query = select(Niche.id).order_by(Niche.scored_at.is_not(None), Niche.scored_at).limit(limit)
    return list(await session.scalars(query))


async def trends_for(session: AsyncSession, niche_ids: Sequence[uuid.UUID]) -> list[Trend]:
    if not niche_ids:
        return []
    query = select(Trend).where(Trend.niche_id.in_(niche_ids))
    return list(await session.scalars(query))


async def top_trends(session: AsyncSession, niche_id: uuid.UUID, limit: int) -> list[Trend]:
    """A niche's trends, fastest-growing first (those without a forecast last)."""
    query = (
        select(Trend)
        .where(Trend.niche_id == niche_id)
        .order_by(Trend.growth.desc().nulls_last(), Trend.topic)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def trend(session: AsyncSession, topic: str, source: str) -> Trend | None:
    result = await session.scalar(select(Trend).where(Trend.topic == topic, Trend.source == source))
    return result


async def watchlist(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[WatchlistEntry, Niche]]:
    query = (
        select(WatchlistEntry, Niche)
        .join(Niche, Niche.id == WatchlistEntry.niche_id)
        .where(WatchlistEntry.user_id == user_id)
        .order_by(WatchlistEntry.created_at)
    )
    return [(e, n) for e, n in (await session.execute(query)).all()]


async def watchlist_entry(
    session: AsyncSession, user_id: uuid.UUID, entry_id: uuid.UUID
) -> WatchlistEntry | None:
    query = select(WatchlistEntry).where(
        WatchlistEntry.id == entry_id, WatchlistEntry.user_id == user_id
    )
    result = await session.scalar(query)
    return result


async def watchlist_entry_for_niche(
    session: AsyncSession, user_id: uuid.UUID, niche_id: uuid.UUID
) -> WatchlistEntry | None:
    query = select(WatchlistEntry).where(
        WatchlistEntry.niche_id == niche_id, WatchlistEntry.user_id == user_id
    )
    result = await session.scalar(query)
    return result


async def watchers_with_threshold(
    session: AsyncSession, niche_id: uuid.UUID
) -> list[WatchlistEntry]:
    query = select(WatchlistEntry).where(
        WatchlistEntry.niche_id == niche_id, WatchlistEntry.alert_threshold.is_not(None)
    )
    return list(await session.scalars(query))
