"""The daily discovery run end to end on recorded source answers, and the store explorer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Niche, Trend
from backend.niches.catalog import Catalog, catalog
from backend.niches.discovery.service import discover
from backend.niches.discovery.sources.factory import build_sources
from backend.niches.explorer import store_explorer
from backend.settings import Settings
from tests.backend.niches.discovery.conftest import fixture_text


def trends_answers(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/trends/api/explore":
        return httpx.Response(200, text=fixture_text("trends_explore.txt"))
    if request.url.path.endswith("/multiline"):
        return httpx.Response(200, text=fixture_text("trends_multiline.txt"))
    return httpx.Response(200, text=fixture_text("trends_related.txt"))


def reddit_answers(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/v1/access_token":
        return httpx.Response(200, text=fixture_text("reddit_token.json"))
    if request.url.path == "/r/breadit/top":
        return httpx.Response(429, headers={"Retry-After": "999"})  # recorded as a failure
    return httpx.Response(200, text=fixture_text("reddit_listing.json"))


async def test_daily_discovery_then_the_explorer_draws_rising_topics(
    settings: Settings,
    app: Any,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings.model_copy(
        update={
            "google_trends_url": "https://trends.test",
            "reddit_client_id": "id",
            "reddit_client_secret": "secret",
            "discovery_daily_niche_limit": 3,
        }
    )
    full = catalog()
    small = Catalog(
        {k: full.categories[k] for k in ("cooking", "gaming")}, full.cpm_source, full.cpm_reviewed
    )
    monkeypatch.setattr("backend.niches.discovery.service.catalog", lambda: small)
    sources = build_sources(
        settings,
        app.state.redis.sync,
        sleep=lambda s: None,
        trends_client=httpx.Client(transport=httpx.MockTransport(trends_answers)),
        reddit_client=httpx.Client(transport=httpx.MockTransport(reddit_answers)),
    )
    report = await discover(sessions, app.state.redis.sync, settings, sources)
    assert report.seeded == 6 and report.scored == 3 and report.failed == 0
    assert report.source_status["reddit"].startswith("rate_limited")
    assert report.source_status["rss"].startswith("skipped")
    async with sessions() as session:
        niches = {n.name: n for n in await session.scalars(select(Niche))}
        topics = list(await session.scalars(select(Trend)))
    # the same rising queries come back for every seed: merged, not duplicated
    assert sum(1 for n in niches if n == "air fryer frozen dumplings") == 1
    scored = [n for n in niches.values() if n.score is not None]
    assert len(scored) == 3 and all(n.breakdown["trend"]["score"] > 0 for n in scored)
    assert any(t.source == "reddit" for t in topics)

    explorer = store_explorer(sessions, fallback=False)
    picks = await explorer.explore_async(scored[0].name, limit=3)
    assert picks and picks[0].source.startswith("store:")
    threaded = await asyncio.to_thread(
        explorer.explore, scored[0].name, exclude=[picks[0].topic], limit=3
    )
    assert picks[0].topic not in [p.topic for p in threaded]
    assert await asyncio.to_thread(explorer.explore, "no such niche at all xyz", limit=1) == []
