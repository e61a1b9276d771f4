"""TrendProphet: Prophet forecasts of topic interest; picks the fastest-rising topic for a niche."""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from backend.niches.trends.ranking import TopicPick, TopicRanker

__all__ = ["NoTopicAvailable", "TopicPick", "TrendProphet"]

log = structlog.get_logger(__name__)


class NoTopicAvailable(LookupError):
    """Every candidate topic is excluded (or there are no series at all)."""


class TrendProphet(TopicRanker):
    """Picks the fastest-rising topic for a channel's niche (ranking: :class:`TopicRanker`)."""

    def pick_topic(self, niche: str, exclude: Iterable[str] = ()) -> TopicPick:
        """The fastest-rising topic in the niche that the channel has not covered yet."""
        ranked = self.rank(niche, exclude)
        if not ranked:
            raise NoTopicAvailable(f"no topic left for niche {niche!r}: all are excluded")
        pick = ranked[0]
        log.info(
            "trend.pick",
            niche=niche,
            topic=pick.topic,
            category=pick.niche,
            growth=round(pick.growth, 4),
            match=pick.match,
        )
        return pick
