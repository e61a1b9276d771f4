"""The niche-explorer hook: proposes topics for a niche. Niche discovery will add store-backed
sources and scoring; the default draws topics from :class:`TrendProphet` over bundled series."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from backend.agents.trend_prophet import TopicPick, TrendProphet


class NicheExplorer(Protocol):
    def explore(self, niche: str, *, exclude: Iterable[str] = (),
                limit: int = 5) -> list[TopicPick]: ...


class ProphetNicheExplorer:
    """Topics for a niche, ranked by forecast growth."""

    def __init__(self, prophet: TrendProphet | None = None) -> None:
        self.prophet = prophet or TrendProphet()

    def explore(self, niche: str, *, exclude: Iterable[str] = (),
                limit: int = 5) -> list[TopicPick]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return self.prophet.rank(niche, exclude)[:limit]


def default_explorer() -> NicheExplorer:
    return ProphetNicheExplorer()
