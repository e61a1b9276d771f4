"""Topics of a niche ranked by forecast growth over interest series (bundled files by default)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from backend.niches.trends.forecast import forecast
from backend.niches.trends.match import (
    CATEGORY_KEYWORDS,
    exact_category,
    normalize_category,
    overlap_scores,
)
from backend.niches.trends.source import BundledTrendSource, TopicSeries, TrendSource


@dataclass
class TopicPick:
    topic: str
    niche: str  # the category the topic came from
    growth: float  # forecast level over the horizon vs the recent level (0.12 = +12 %)
    forecast: list[dict[str, float | str]]  # ds, yhat, yhat_lower, yhat_upper
    source: str
    reason: str
    match: str = field(default="exact")  # exact | keyword | overall (| llm: proposed)
    # When the store last fetched the topic's interest (None: the bundled series).
    fetched_at: datetime | None = None


class TopicRanker:
    """Ranks a niche's candidate topics from a :class:`TrendSource` by Prophet growth."""

    def __init__(
        self, series_dir: Path | None = None, *, source: TrendSource | None = None
    ) -> None:
        self.source: TrendSource = source or BundledTrendSource(series_dir)

    def rank(
        self, niche: str, exclude: Iterable[str] = (), *, overall: bool = True
    ) -> list[TopicPick]:
        """Candidate topics for the niche, fastest-rising first, excluded topics left out.
        ``overall=False``: no last resort of every category when none matches the niche."""
        excluded = {normalize_category(t) for t in exclude}
        for match, categories in self._category_tiers(niche):
            if match == "overall" and not overall:
                break
            candidates = [
                s
                for c in categories
                for s in self.source.series(c)
                if normalize_category(s.topic) not in excluded
            ]
            if candidates:
                picks = [self._score(s, niche, match) for s in candidates]
                return sorted(picks, key=lambda p: p.growth, reverse=True)
        return []

    def _category_tiers(self, niche: str) -> list[tuple[str, list[str]]]:
        """Exact category, then categories sharing the most words with the niche, then all."""
        categories = self.source.categories()
        tiers: list[tuple[str, list[str]]] = []
        exact = exact_category(niche, categories)
        if exact:
            tiers.append(("exact", [exact]))
        vocabulary = {
            c: [
                c.replace("_", " "),
                *CATEGORY_KEYWORDS.get(c, ()),
                *(s.topic for s in self.source.series(c)),
            ]
            for c in categories
        }
        scores = overlap_scores(niche, vocabulary)
        if scores:
            best = max(scores.values())
            tiers.append(("keyword", sorted(c for c, s in scores.items() if s == best)))
        tiers.append(("overall", categories))
        return tiers

    def _score(self, series: TopicSeries, niche: str, match: str) -> TopicPick:
        result = forecast(series.frame)
        why = {
            "exact": f"category {series.category!r} is the niche",
            "keyword": f"category {series.category!r} shares words with niche {niche!r}",
            "overall": f"no category matches niche {niche!r}; best rising topic overall",
        }[match]
        reason = (
            f"{why}; forecast {result.forecast_level:.1f} over the next "
            f"{len(result.points)} periods vs recent {result.recent_level:.1f} "
            f"({result.growth:+.1%})"
        )
        return TopicPick(
            series.topic,
            series.category,
            result.growth,
            result.points,
            series.source,
            reason,
            match,
        )
