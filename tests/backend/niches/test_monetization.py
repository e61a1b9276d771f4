"""The loop's monetization score: measured RPM on the owner's channels blended with the
category table, rpm = (k * prior + V * measured) / (k + V), moves the owner's niche score
by w_M * 100 * (rpm - prior) / ceiling. Real PostgreSQL and SQLite, real scoring."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import Channel, ChannelDailyMetric, Niche, User, UserRole
from backend.niches import service
from backend.niches.catalog import catalog
from backend.niches.discovery.scoring import ScoreInputs, Weights, score
from backend.niches.monetization import (
    Measurement,
    blend,
    category_for,
    owner_revenue,
    owner_score,
    pacific_today,
)
from backend.settings import Settings
from tests.backend.conftest import Api

Sessions = async_sessionmaker[AsyncSession]
TODAY = date(2026, 11, 20)
TABLE = catalog()


def scored_niche(name: str, category: str) -> Niche:
    """A niche scored the way discovery scores it (the category's table RPM)."""
    row = TABLE.get(category)
    inputs = ScoreInputs(
        cpm_usd=row.cpm_usd,
        cpm_ceiling_usd=TABLE.cpm_ceiling,
        growth=0.1,
        interest_level=55.0,
        recent_videos=400,
        median_subscribers=50_000.0,
        median_views=20_000.0,
        rpm_usd=row.rpm_usd,
        rpm_ceiling_usd=TABLE.rpm_ceiling,
    )
    result = score(inputs, Weights())
    return Niche(
        id=uuid.uuid4(),
        name=name,
        category=category,
        score=result.total,
        breakdown=result.breakdown,
        inputs={"score": inputs.to_dict()},
        sources=["seed"],
        keywords=[name],
        scored_at=utcnow(),
    )


async def make_owner(sessions: Sessions) -> uuid.UUID:
    async with unit_of_work(sessions) as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        user.role = UserRole.member
        session.add(user)
        await session.flush()
        return user.id


async def make_channel(sessions: Sessions, owner_id: uuid.UUID, niche: str) -> uuid.UUID:
    async with unit_of_work(sessions) as session:
        channel = Channel(owner_id=owner_id, name=f"C {uuid.uuid4().hex[:4]}", niche=niche)
        session.add(channel)
        await session.flush()
        return channel.id


async def add_days(
    sessions: Sessions,
    channel_id: uuid.UUID,
    days: int,
    views: int,
    revenue: str | None,
    *,
    end: date = TODAY,
) -> None:
    async with unit_of_work(sessions) as session:
        for k in range(days):
            session.add(
                ChannelDailyMetric(
                    channel_id=channel_id,
                    day=end - timedelta(days=k),
                    views=views,
                    watch_time_minutes=views * 2.0,
                    revenue_usd=None if revenue is None else Decimal(revenue),
                )
            )


def expected(niche: Niche, measured_rpm: float, views: int, k: int) -> float:
    """The module docstring's formula, computed here from the stored breakdown."""
    prior = niche.breakdown["monetization"]["rpm_usd"]
    ceiling = niche.breakdown["monetization"]["rpm_ceiling_usd"]
    w_m = niche.breakdown["monetization"]["weight"]
    rpm = (k * prior + views * measured_rpm) / (k + views)
    assert niche.score is not None
    return niche.score + w_m * 100 * (min(rpm / ceiling, 1) - min(prior / ceiling, 1))


def test_the_blend_is_the_documented_empirical_bayes_formula() -> None:
    measured = Measurement("niche", views=30_000, revenue_usd=270.0, channels=1)
    mix = blend(3.5, measured, 10_000)
    assert measured.rpm_usd == pytest.approx(9.0)
    assert mix.weight == pytest.approx(0.75)
    assert mix.rpm_usd == pytest.approx((10_000 * 3.5 + 30_000 * 9.0) / 40_000)  # 7.625
    assert blend(3.5, None, 10_000).rpm_usd == 3.5 and blend(3.5, None, 10_000).weight == 0
    assert blend(3.5, measured, 0).rpm_usd == pytest.approx(9.0)  # no prior strength
    weights = [
        blend(3.5, Measurement("niche", v, v * 0.009, 1), 10_000).weight
        for v in (1, 1_000, 10_000, 90_000)
    ]
    assert weights == sorted(weights) and weights[2] == pytest.approx(0.5)
    assert weights[3] == pytest.approx(0.9)


def test_a_channels_niche_text_finds_its_category() -> None:
    assert category_for("budgeting for beginners", {}) == "personal_finance"
    assert category_for("Personal finance", {}) == "personal_finance"
    assert category_for("skincare routines for men", {}) == "beauty_fashion"
    assert category_for("sourdough", {"sourdough": "cooking"}) == "cooking"
    assert category_for("zzz qqq", {}) is None


async def test_measured_rpm_moves_the_owner_score_by_the_formula(
    db: Sessions, settings: Settings
) -> None:
    owner = await make_owner(db)
    stranger = await make_owner(db)
    niche = scored_niche("sourdough bread", "cooking")  # table RPM 3.5, ceiling 12
    async with unit_of_work(db) as session:
        session.add(niche)
    mine = await make_channel(db, owner, "Sourdough Bread")
    await add_days(db, mine, 30, 1000, "9.00")  # 30,000 views at $9 RPM
    # not measured: days of unknown revenue, days before the window, someone else's channel
    await add_days(db, mine, 5, 1_000_000, None, end=TODAY - timedelta(days=40))
    await add_days(db, mine, 3, 50_000, "0.00", end=TODAY - timedelta(days=200))
    theirs = await make_channel(db, stranger, "sourdough bread")
    await add_days(db, theirs, 30, 1000, "50.00")

    async with db() as session:
        revenue = await owner_revenue(session, owner, settings.rpm_window_days, TODAY)
    view = owner_score(niche, revenue, settings)
    assert view is not None and view.score is not None
    assert view.rpm.measurement == Measurement("niche", 30_000, 270.0, 1)
    assert view.rpm.weight == pytest.approx(30_000 / (10_000 + 30_000))
    assert view.rpm.rpm_usd == pytest.approx(7.625)
    assert settings.rpm_prior_views == 10_000
    want = expected(niche, 9.0, 30_000, 10_000)
    assert view.score == pytest.approx(want, abs=0.01)
    # the direction and the amount: up by 100 * 0.25 * 0.75 * (9 - 3.5) / 12 = 8.59
    assert view.score - niche.score == pytest.approx(100 * 0.25 * 0.75 * 5.5 / 12, abs=0.01)

    # a weaker prior: the same measurement moves the score further, still by the formula
    strong = settings.model_copy(update={"rpm_prior_views": 2_000})
    stronger = owner_score(niche, revenue, strong)
    assert stronger is not None and stronger.score is not None
    assert stronger.score == pytest.approx(expected(niche, 9.0, 30_000, 2_000), abs=0.01)
    assert stronger.score > view.score


async def test_a_channel_earning_less_than_the_table_lowers_the_score(
    db: Sessions, settings: Settings
) -> None:
    owner = await make_owner(db)
    niche = scored_niche("index fund investing", "personal_finance")  # table RPM 12
    async with unit_of_work(db) as session:
        session.add(niche)
    # no channel about the niche: the category's channels are the measurement
    channel = await make_channel(db, owner, "budgeting for beginners")
    await add_days(db, channel, 10, 2000, "8.00")  # 20,000 views at $4 RPM
    async with db() as session:
        revenue = await owner_revenue(session, owner, settings.rpm_window_days, TODAY)
    view = owner_score(niche, revenue, settings)
    assert view is not None and view.score is not None and niche.score is not None
    assert view.rpm.measurement is not None and view.rpm.measurement.scope == "category"
    assert view.rpm.measured_rpm_usd == pytest.approx(4.0)
    assert view.score < niche.score
    assert view.score == pytest.approx(expected(niche, 4.0, 20_000, 10_000), abs=0.01)
    assert view.score - niche.score == pytest.approx(-100 * 0.25 * (2 / 3) * 8 / 12, abs=0.01)


async def test_without_known_revenue_the_owner_sees_the_market_score(
    db: Sessions, settings: Settings
) -> None:
    owner = await make_owner(db)
    niche = scored_niche("retro gaming", "gaming")
    async with unit_of_work(db) as session:
        session.add(niche)
    channel = await make_channel(db, owner, "retro gaming")
    await add_days(db, channel, 20, 5000, None)  # no monetary scope: revenue unknown
    async with db() as session:
        revenue = await owner_revenue(session, owner, settings.rpm_window_days, TODAY)
    view = owner_score(niche, revenue, settings)
    assert view is not None
    assert view.rpm.measurement is None and view.rpm.weight == 0
    assert view.score == niche.score and view.monetization == view.market_monetization


async def test_the_api_and_the_page_show_measured_against_estimated(
    client: httpx.AsyncClient,
    owner: Api,
    sessions: Sessions,
    settings: Settings,
) -> None:
    niche = scored_niche("air fryer recipes", "cooking")
    async with unit_of_work(sessions) as session:
        session.add(niche)
    channel = await owner.create_channel(name="Fryer", niche="air fryer recipes")
    await add_days(sessions, uuid.UUID(channel["id"]), 20, 1000, "6.00", end=pacific_today())
    body = (await owner.get(f"/api/v1/niches/{niche.id}")).json()
    mine = body["for_you"]
    money = mine["monetization"]
    assert money["estimate_rpm_usd"] == 3.5 and money["prior_views"] == 10_000
    assert money["measured"] == {
        "rpm_usd": 6.0,
        "views": 20_000,
        "revenue_usd": 120.0,
        "channels": 1,
        "scope": "niche",
        "window_days": 90,
    }
    assert money["weight"] == pytest.approx(2 / 3, abs=1e-6)
    assert money["rpm_usd"] == pytest.approx((10_000 * 3.5 + 20_000 * 6.0) / 30_000, abs=1e-4)
    assert mine["market_score"] == niche.score
    assert mine["score"] == pytest.approx(expected(niche, 6.0, 20_000, 10_000), abs=0.01)
    assert (await owner.get("/api/v1/niches/categories")).json()["items"][0]["rpm_usd"] == 12.0
    async with sessions() as session:  # the service the page uses gives the same view
        user = await session.get(
            User, uuid.UUID((await owner.get("/api/v1/users/me")).json()["id"])
        )
        assert user is not None
        revenue = await service.owner_revenue(session, settings, user)
    view = service.for_owner(niche, revenue, settings)
    assert view is not None and view.model_dump() == mine


def test_discovery_scores_monetization_from_the_rpm_table_and_keeps_the_estimate() -> None:
    from backend.niches.discovery.analysis import Evidence, evaluate

    analysis = evaluate(Evidence(), "cooking", TABLE, Weights())
    money = analysis.score.breakdown["monetization"]
    assert money["score"] == pytest.approx(100 * 3.5 / 12, abs=0.01)
    assert money["rpm_usd"] == 3.5 and money["rpm_ceiling_usd"] == 12.0
    assert analysis.inputs.rpm_usd == 3.5
    # inputs stored before the table had RPM still score from the CPM, as they were made
    old = ScoreInputs(cpm_usd=5.0, cpm_ceiling_usd=15.0)
    assert score(old, Weights()).breakdown["monetization"]["score"] == pytest.approx(
        100 / 3, abs=0.01
    )
    assert "rpm_usd" not in score(old, Weights()).breakdown["monetization"]
