"""The one niche explorer: stored niches' topics first, the bundled series when there are none."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Niche
from backend.niches.explorer import NicheExplorer, store_explorer


def test_bundled_series_alone_rank_by_growth() -> None:
    picks = NicheExplorer().explore("cooking", limit=3)
    assert len(picks) == 3
    assert picks[0].growth >= picks[1].growth >= picks[2].growth
    assert all(p.niche == "cooking" and p.source.startswith("bundled:") for p in picks)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        NicheExplorer().explore("cooking", limit=0)


async def test_an_empty_store_falls_back_to_the_bundled_series_unless_told_not_to(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    picks = await asyncio.to_thread(store_explorer(sessions).explore, "cooking", limit=2)
    assert [p.source.split(":")[0] for p in picks] == ["bundled", "bundled"]
    assert (
        await asyncio.to_thread(
            store_explorer(sessions, fallback=False).explore, "cooking", limit=2
        )
        == []
    )


async def test_stored_topics_come_before_the_fallback(
    sessions: async_sessionmaker[AsyncSession], stored: dict[str, Niche]
) -> None:
    explorer = store_explorer(sessions)
    picks = await asyncio.to_thread(explorer.explore, "air fryer recipes", limit=5)
    assert picks and all(p.source.startswith("store:") for p in picks)
    assert picks[0].niche == "air fryer recipes"
    # every stored topic excluded: the bundled series answer instead
    left = await asyncio.to_thread(
        explorer.explore, "air fryer recipes", exclude=[p.topic for p in picks], limit=5
    )
    assert left and all(p.source.startswith("bundled:") for p in left)
