"""Discovery runs: score one niche from its sources, and the daily refresh-and-discover."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import Niche, Trend
from backend.niches import repository
from backend.niches.alerts import check_alerts
from backend.niches.catalog import catalog
from backend.niches.discovery.analysis import Analysis, evaluate, gather, stored_inputs
from backend.niches.discovery.dedup import embed_texts, group, nearest
from backend.niches.discovery.errors import SourceError
from backend.niches.discovery.scoring import Weights
from backend.niches.discovery.sources.factory import Sources
from backend.niches.trends.source import BundledTrendSource, TrendSource
from backend.settings import Settings

log = structlog.get_logger(__name__)

NEW_NICHES_PER_CATEGORY = 5
TOPICS_PER_SOURCE = 15


def bundled_source(settings: Settings) -> TrendSource | None:
    return BundledTrendSource() if settings.discovery_bundled_series else None


async def analyze_niche(
    session: AsyncSession,
    connection: redis.Redis | None,
    settings: Settings,
    sources: Sources,
    niche_id: uuid.UUID,
) -> Analysis:
    """Gather, forecast, score and store one niche; watchers crossing a threshold get alerts.

    Source calls happen before any write, so a failing source never leaves half a row.
    """
    niche = await repository.get(session, niche_id)
    if niche is None:
        raise LookupError(f"niche {niche_id} does not exist")
    evidence = await asyncio.to_thread(
        gather, sources, niche.name, niche.category, bundled=bundled_source(settings)
    )
    previous_inputs: dict[str, Any] = dict(niche.inputs or {})
    analysis = evaluate(
        evidence,
        niche.category,
        catalog(),
        Weights.from_settings(settings),
        previous_inputs.get("score"),
    )
    if niche.embedding is None:
        [niche.embedding] = await embed_texts(settings, [niche.name])
    previous_score = niche.score
    inputs = stored_inputs(analysis)
    if evidence.competition is None and previous_inputs.get("top_videos"):
        inputs["top_videos"] = previous_inputs["top_videos"]
    niche.inputs = inputs
    niche.breakdown = analysis.score.breakdown
    niche.score = analysis.score.total
    niche.scored_at = utcnow()
    used = [s for s, status in evidence.status.items() if status.startswith("ok")]
    niche.sources = sorted(set(niche.sources or []) | set(used))
    if evidence.series and analysis.forecast is not None:
        await upsert_trend(
            session,
            niche,
            niche.name,
            evidence.series_source or "unknown",
            series=evidence.series,
            forecast=analysis.forecast.points,
            growth=analysis.forecast.growth,
        )
    await session.flush()
    await check_alerts(session, connection, niche, previous_score)
    log.info(
        "niche.scored",
        niche_id=str(niche.id),
        name=niche.name,
        score=niche.score,
        sources=evidence.status,
        stale=analysis.stale,
    )
    return analysis


async def upsert_trend(
    session: AsyncSession,
    niche: Niche,
    topic: str,
    source: str,
    *,
    series: list[dict[str, Any]] | None = None,
    forecast: list[dict[str, Any]] | None = None,
    growth: float | None = None,
) -> Trend:
    source = source.split(":", 1)[0][:32]
    trend = await repository.trend(session, topic[:300], source)
    if trend is None:
        trend = Trend(id=uuid.uuid4(), topic=topic[:300], source=source, series=[], forecast=[])
        session.add(trend)
    trend.niche_id = niche.id
    if series is not None:
        trend.series = series
    if forecast is not None:
        trend.forecast = forecast
    if growth is not None:
        trend.growth = round(growth, 6)
    trend.fetched_at = utcnow()
    await session.flush()
    return trend


@dataclass
class DiscoveryReport:
    seeded: int = 0
    candidates: int = 0
    new_niches: list[str] = field(default_factory=list)
    topics: int = 0
    scored: int = 0
    failed: int = 0
    source_status: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seeded": self.seeded,
            "candidates": self.candidates,
            "new_niches": self.new_niches,
            "topics": self.topics,
            "scored": self.scored,
            "failed": self.failed,
            "source_status": self.source_status,
        }


def collect_candidates(
    sources: Sources, category: str, report: DiscoveryReport
) -> list[tuple[str, str, float]]:
    """(topic, source, weight) proposals for a category: Trends rising queries of its seeds,
    top posts of its subreddits, entries of its feeds. A failing source is noted and skipped."""
    entry = catalog().get(category)
    found: list[tuple[str, str, float]] = []

    def attempt(source: str, call: Any) -> Any:
        try:
            return call()
        except SourceError as exc:
            report.source_status[source] = f"{exc.status}: {exc.message}"
            return []

    for seed in entry.seeds:
        for row in attempt("google_trends", lambda s=seed: sources.trends.rising_queries(s)):
            found.append((row["query"], "google_trends", float(row["value"])))
    for sub in entry.subreddits:
        posts = attempt("reddit", lambda s=sub: sources.reddit.subreddit(s))
        for post in posts[:TOPICS_PER_SOURCE]:
            found.append((post["title"], "reddit", float(post["score"])))
    for item in attempt("rss", lambda: sources.rss.entries(category))[:TOPICS_PER_SOURCE]:
        found.append((item["title"], "rss", 1.0))
    return found


async def discover(
    sessions: async_sessionmaker[AsyncSession],
    connection: redis.Redis | None,
    settings: Settings,
    sources: Sources,
) -> DiscoveryReport:
    """The daily job: seed niches, new niches and topics from the sources (deduplicated),
    then rescore up to ``discovery_daily_niche_limit`` niches, one transaction each."""
    report = DiscoveryReport()
    async with unit_of_work(sessions) as session:
        report.seeded = await ensure_seeds(session)
    for category in catalog().categories:
        proposals = await asyncio.to_thread(collect_candidates, sources, category, report)
        report.candidates += len(proposals)
        if proposals:
            async with unit_of_work(sessions) as session:
                await absorb(session, settings, category, proposals, report)
    async with sessions() as session:
        due = await repository.due_for_scoring(session, settings.discovery_daily_niche_limit)
    for niche_id in due:
        try:
            async with unit_of_work(sessions) as session:
                await analyze_niche(session, connection, settings, sources, niche_id)
            report.scored += 1
        except (LookupError, ValueError) as exc:
            report.failed += 1
            log.warning("niche.score_failed", niche_id=str(niche_id), error=str(exc))
    log.info("discovery.run", **report.as_dict())
    return report


async def ensure_seeds(session: AsyncSession) -> int:
    created = 0
    for category in catalog().categories.values():
        for seed in category.seeds:
            if await repository.get_by_name(session, seed) is None:
                session.add(
                    Niche(
                        id=uuid.uuid4(),
                        name=seed,
                        category=category.key,
                        breakdown={},
                        inputs={},
                        sources=["seed"],
                        keywords=[seed],
                    )
                )
                created += 1
    await session.flush()
    return created


async def absorb(
    session: AsyncSession,
    settings: Settings,
    category: str,
    proposals: list[tuple[str, str, float]],
    report: DiscoveryReport,
) -> None:
    """Group proposals by meaning; groups near an existing niche of the category join it,
    Trends-backed groups far from all of them become new niches (a few per run), and every
    reddit/RSS proposal is kept as a topic of its nearest niche."""
    proposals = sorted(proposals, key=lambda p: p[2], reverse=True)
    texts = [p[0] for p in proposals]
    vectors = await embed_texts(settings, texts)
    groups = group([(p[0], p[1]) for p in proposals], vectors, settings.discovery_dedup_threshold)
    niches = [n for n in await repository.all_names(session) if n.category == category]
    missing = [n for n in niches if n.embedding is None]
    for niche, vector in zip(
        missing, await embed_texts(settings, [n.name for n in missing]), strict=True
    ):
        niche.embedding = vector
    created = 0
    for topic_group in groups:
        index, similarity = nearest(
            topic_group.vector.tolist(), [n.embedding or [] for n in niches]
        )
        if index >= 0 and similarity >= settings.discovery_dedup_threshold:
            niche = niches[index]
            niche.sources = sorted(set(niche.sources or []) | topic_group.sources)
            niche.keywords = sorted(set(niche.keywords or []) | set(topic_group.members))[:50]
        elif (
            "google_trends" in topic_group.sources
            and created < NEW_NICHES_PER_CATEGORY
            and await repository.get_by_name(session, topic_group.topic) is None
        ):
            niche = Niche(
                id=uuid.uuid4(),
                name=topic_group.topic[:200],
                category=category,
                breakdown={},
                inputs={},
                sources=sorted(topic_group.sources),
                keywords=topic_group.members[:50],
                embedding=topic_group.vector.tolist(),
            )
            session.add(niche)
            niches.append(niche)
            created += 1
            report.new_niches.append(niche.name)
        elif index >= 0:
            niche = niches[index]
        else:
            continue
        await session.flush()
        for source in sorted(topic_group.sources - {"google_trends"}):
            await upsert_trend(session, niche, topic_group.topic, source)
            report.topics += 1
