"""topic: the owner's topic, or trend_prophet's choice for the channel's niche.

Candidates are the niche store's fresh topics for the niche (``YTE_TOPIC_FRESH_DAYS``)
and, only in the demo/offline mode (``YTE_OFFLINE_TOPICS``), the bundled synthetic series.
``TopicChooser`` keeps those about the niche and not repeats of the channel's past topics
(embeddings), ranked by growth x the revenue expected from the channel's past winners and
losers (``analytics.loop.video_revenues``), else asks the text model for topics; when
that fails too, the stage fails with the reason (the video fails at the topic stage, with
a ``video.failed`` alert).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from backend.agents.trend_prophet import ChargeSink, TopicChooser, TopicPick, TrendProphet
from backend.db.base import utcnow
from backend.pipeline.context import StageContext, StepResult, VideoChanges
from backend.settings import Settings

CANDIDATES = 20  # store (and bundled) topics ranked by the chooser


def chooser(settings: Settings, on_charge: ChargeSink | None = None) -> TopicChooser:
    return TopicChooser(
        relevance_floor=settings.topic_relevance_floor,
        min_relevance=settings.topic_min_relevance,
        dedup_threshold=settings.topic_dedup_threshold,
        proposals=settings.topic_llm_proposals,
        on_charge=on_charge,
        revenue_bandwidth=settings.topic_revenue_bandwidth,
        revenue_prior_weight=settings.topic_revenue_prior_weight,
    )


def fresh(picks: Sequence[TopicPick], now: datetime, days: int) -> list[TopicPick]:
    """Stored topics fetched within ``days`` (bundled ones have no fetch time: always)."""
    since = now - timedelta(days=days)
    return [p for p in picks if p.fetched_at is None or p.fetched_at >= since]


async def run(ctx: StageContext) -> StepResult:
    if ctx.video.topic:
        return StepResult(output={"topic": ctx.video.topic, "source": "owner"})
    if ctx.explorer is None:
        raise LookupError("the topic step was given no topic explorer")
    niche, past = ctx.video.niche, list(ctx.past_topics)
    stored = await asyncio.to_thread(ctx.explorer.explore, niche, exclude=past, limit=CANDIDATES)
    from_store = fresh(stored, utcnow(), ctx.settings.topic_fresh_days)
    candidates = from_store
    if ctx.settings.offline_topics and len(candidates) < CANDIDATES:
        # offline, the bundled series tops up what the store has (which may all be off the
        # niche: the chooser filters for relevance afterwards)
        ranker = TrendProphet()  # only the categories matching the niche
        bundled = await asyncio.to_thread(ranker.rank, niche, past, overall=False)
        candidates = [*candidates, *bundled][:CANDIDATES]
    ctx.progress(0.3, f"{len(candidates)} candidate topics")
    choice = await chooser(ctx.settings, ctx.charged).choose(
        ctx.ai(),
        niche=niche,
        candidates=candidates,
        past_topics=past,
        stale=len(stored) - len(from_store),
        past_videos=ctx.past_revenues,
    )
    pick = choice.pick
    ctx.progress(1.0)
    return StepResult(
        output={
            "topic": pick.topic,
            "source": pick.source,
            "growth": pick.growth,
            "reason": pick.reason,
            "relevance": round(choice.relevance, 4),
            "considered": choice.considered,
            "expected_revenue_usd": choice.expected_revenue_usd,
            "revenue_factor": round(choice.revenue_factor, 4),
            "past_revenues": choice.past_videos,
            "forecast": pick.forecast[-12:],
        },
        charges=choice.charges,
        video=VideoChanges(topic=pick.topic),
    )
