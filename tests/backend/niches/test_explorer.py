"""The one niche explorer: stored niches' topics; the bundled synthetic series only when the
offline fallback is asked for (never by default: production does not use them)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Niche
from backend.niches.explorer import NicheExplorer, store_explorer


def test_bundled_series_alone_rank_by_growth() -> None:
    assert NicheExplorer().explore("cooking", limit=3) == []  # no store, no fallback
    picks = NicheExplorer(fallback=True).explore("cooking", limit=3)
    assert len(picks) == 3
    assert picks[0].growth >= picks[1].growth >= picks[2].growth
    assert all(p.niche == "cooking" and p.source.startswith("bundled:") for p in picks)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        NicheExplorer(fallback=True).explore("cooking", limit=0)


async def test_an_empty_store_gives_nothing_unless_the_offline_fallback_is_asked_for(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await asyncio.to_thread(store_explorer(sessions).explore, "cooking", limit=2) == []
    offline = store_explorer(sessions, fallback=True)
    picks = await asyncio.to_thread(offline.explore, "cooking", limit=2)
    assert [p.source.split(":")[0] for p in picks] == ["bundled", "bundled"]


async def test_stored_topics_come_before_the_fallback(
    sessions: async_sessionmaker[AsyncSession], stored: dict[str, Niche]
) -> None:
    explorer = store_explorer(sessions)
    picks = await asyncio.to_thread(explorer.explore, "air fryer recipes", limit=5)
    assert picks and all(p.source.startswith("store:") for p in picks)
    assert picks[0].niche == "air fryer recipes"
    assert all(p.fetched_at is not None for p in picks)  # the topic step checks freshness
    # every stored topic excluded: nothing in production, the bundled series offline
    done = [p.topic for p in picks]
    assert await asyncio.to_thread(explorer.explore, "air fryer recipes", exclude=done) == []
    offline = store_explorer(sessions, fallback=True)
    left = await asyncio.to_thread(offline.explore, "air fryer recipes", exclude=done, limit=5)
    assert left and all(p.source.startswith("bundled:") for p in left)


def test_pitch_words_do_not_match_a_niche() -> None:
    from backend.niches.explorer import match_niches
    from tests.backend.niches.conftest import make_niche

    garden = make_niche("vegetable gardening for beginners", "diy_home", 50.0)
    budget = make_niche("budget meal planning", "cooking", 40.0)
    assert match_niches("budgeting for beginners", [garden]) == ("none", [])
    assert match_niches("budgeting for beginners", [garden, budget]) == ("keyword", [budget])
