"""The niche explorer: topics for a channel's niche, from the niches store (niches and their
trends) and, only where asked (the demo/offline mode), from the bundled synthetic interest
series ranked by forecast growth. The topic step (``backend/pipeline/steps/topic.py``) gets
the store explorer; it adds the bundled series itself when ``YTE_OFFLINE_TOPICS`` is on, and
never otherwise: in production a niche without stored topics goes to the text model.

The pipeline calls ``explore`` from a worker thread (``asyncio.to_thread``); the store is
read on the event loop the explorer was created on when that loop is running elsewhere,
else on a fresh loop (NullPool engines, as jobs use, are safe there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Niche, Trend
from backend.niches import repository
from backend.niches.trends.match import normalize_category, tokens
from backend.niches.trends.ranking import TopicPick, TopicRanker

log = structlog.get_logger(__name__)


def match_niches(channel_niche: str, niches: list[Niche]) -> tuple[str, list[Niche]]:
    """Niches for a channel's free-text niche: same name, then same category, then the ones
    sharing the most words (name, keywords, category)."""
    wanted = normalize_category(channel_niche)
    exact = [n for n in niches if normalize_category(n.name) == wanted]
    if exact:
        return "exact", exact
    category = [n for n in niches if n.category == wanted]
    if category:
        return "category", category
    words = tokens(channel_niche)
    overlap = {
        n.id: len(
            words & tokens(" ".join([n.name, n.category.replace("_", " "), *(n.keywords or [])]))
        )
        for n in niches
    }
    best = max(overlap.values(), default=0)
    if best == 0:
        return "none", []
    return "keyword", [n for n in niches if overlap[n.id] == best]


def rank_topics(
    trends: list[Trend], niches: dict[object, Niche], exclude: Iterable[str], match: str
) -> list[TopicPick]:
    excluded = {normalize_category(t) for t in exclude}
    picks = []
    for trend in trends:
        if normalize_category(trend.topic) in excluded:
            continue
        niche = niches[trend.niche_id]
        growth = trend.growth if trend.growth is not None else 0.0
        detail = (
            f"forecast growth {growth:+.1%}"
            if trend.growth is not None
            else f"proposed by {trend.source}"
        )
        picks.append(
            TopicPick(
                topic=trend.topic,
                niche=niche.name,
                growth=growth,
                forecast=list(trend.forecast),
                source=f"store:{trend.source}",
                reason=f"rising topic of niche {niche.name!r} (score {niche.score or 0:.0f}, "
                f"{match} match); {detail}",
                match="exact" if match == "exact" else "keyword",
                fetched_at=trend.fetched_at or trend.updated_at,
            )
        )
    picks.sort(key=lambda p: (p.growth, niches_score(niches, p.niche)), reverse=True)
    return picks


def niches_score(niches: dict[object, Niche], name: str) -> float:
    return next((n.score or 0.0 for n in niches.values() if n.name == name), 0.0)


class NicheExplorer:
    """Topics for a channel's niche, rising (forecast growth) first.

    With ``sessions``, the topics of the stored niches matching the niche; with ``fallback``
    (off by default: the demo/offline mode only), the bundled series ranked by ``ranker``
    when the store has none (or without ``sessions``).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        fallback: bool = False,
        ranker: TopicRanker | None = None,
    ) -> None:
        self.sessions = sessions
        self.ranker = (ranker or TopicRanker()) if fallback else None
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    async def explore_async(
        self, niche: str, *, exclude: Iterable[str] = (), limit: int = 5
    ) -> list[TopicPick]:
        """The store's topics only (no fallback)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if self.sessions is None:
            return []
        async with self.sessions() as session:
            match, found = match_niches(niche, await repository.all_names(session))
            trends = await repository.trends_for(session, [n.id for n in found])
        picks = rank_topics(trends, {n.id: n for n in found}, exclude, match)[:limit]
        log.info("explorer.store", niche=niche, match=match, niches=len(found), picks=len(picks))
        return picks

    def explore(
        self, niche: str, *, exclude: Iterable[str] = (), limit: int = 5
    ) -> list[TopicPick]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        exclude = list(exclude)
        picks: list[TopicPick] = []
        if self.sessions is not None:
            coro = self.explore_async(niche, exclude=exclude, limit=limit)
            loop = self._loop
            if loop is not None and loop.is_running() and not _on_loop(loop):
                picks = asyncio.run_coroutine_threadsafe(coro, loop).result()
            else:
                picks = asyncio.run(coro)
        if not picks and self.ranker is not None:
            return self.ranker.rank(niche, exclude)[:limit]
        return picks


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def store_explorer(
    sessions: async_sessionmaker[AsyncSession], *, fallback: bool = False
) -> NicheExplorer:
    """The explorer for the topic step: the niches store only. ``fallback=True`` adds the
    bundled synthetic series where the store has nothing (offline use only)."""
    return NicheExplorer(sessions, fallback=fallback)
