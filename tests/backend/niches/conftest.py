"""Niche API fixtures: settings that keep every source off the network, and scored niches."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import Niche, Trend
from backend.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No source reaches the network in these tests."""
    return settings.model_copy(update={"google_trends_url": "", "discovery_bundled_series": True})


def make_niche(
    name: str,
    category: str,
    score: float | None,
    *,
    sources: list[str] | None = None,
    age_minutes: int = 0,
) -> Niche:
    return Niche(
        id=uuid.uuid4(),
        name=name,
        category=category,
        score=score,
        breakdown={"total": score} if score is not None else {},
        inputs={
            "score": {"cpm_usd": 5.0, "cpm_ceiling_usd": 15.0},
            "top_videos": [{"id": "vid00000001", "views": 10}],
        },
        sources=sources or ["seed"],
        keywords=[name],
        scored_at=utcnow() if score is not None else None,
        created_at=utcnow() - timedelta(minutes=age_minutes),
    )


@pytest.fixture
async def stored(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Niche]:
    niches = {
        "air fryer recipes": make_niche(
            "air fryer recipes", "cooking", 71.5, sources=["seed", "google_trends"], age_minutes=5
        ),
        "sourdough bread": make_niche("sourdough bread", "cooking", 48.0, age_minutes=4),
        "index fund investing": make_niche(
            "index fund investing",
            "personal_finance",
            83.25,
            sources=["seed", "reddit"],
            age_minutes=3,
        ),
        "retro gaming": make_niche("retro gaming", "gaming", 35.0, age_minutes=2),
        "home workouts": make_niche("home workouts", "health_fitness", None, age_minutes=1),
    }
    async with unit_of_work(sessions) as session:
        session.add_all(niches.values())
        await session.flush()
        fryer = niches["air fryer recipes"]
        session.add_all(
            [
                Trend(
                    id=uuid.uuid4(),
                    niche_id=fryer.id,
                    topic="air fryer recipes",
                    source="google_trends",
                    series=[{"ds": "2026-11-09", "y": 50.0}],
                    forecast=[
                        {"ds": "2026-11-23", "yhat": 55.0, "yhat_lower": 50.0, "yhat_upper": 60.0}
                    ],
                    growth=0.12,
                    fetched_at=utcnow(),
                ),
                Trend(
                    id=uuid.uuid4(),
                    niche_id=fryer.id,
                    topic="air fryer salmon bites",
                    source="google_trends",
                    series=[],
                    forecast=[],
                    growth=0.4,
                ),
                Trend(
                    id=uuid.uuid4(),
                    niche_id=fryer.id,
                    topic="crispy air fryer tofu",
                    source="reddit",
                    series=[],
                    forecast=[],
                ),
                Trend(
                    id=uuid.uuid4(),
                    niche_id=niches["retro gaming"].id,
                    topic="retro gaming",
                    source="google_trends",
                    series=[],
                    forecast=[],
                    growth=-0.2,
                ),
            ]
        )
    return niches
