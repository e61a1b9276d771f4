"""Profit per video: YouTube's revenue to date minus the video's cost ledger, in the
analytics service and at GET /api/v1/analytics/videos/{id}."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from asgi_lifespan import LifespanManager

from backend.analytics import service
from backend.analytics.stats import poll_fresh_statistics
from backend.analytics.sync import backfill
from backend.db.session import unit_of_work
from backend.models import CostEvent, User, Video
from backend.security.passwords import hash_password
from backend.web.formats import fmt_money, fmt_number
from tests.backend.analytics.conftest import Owner, noon
from tests.backend.conftest import PASSWORD, login, register
from tests.backend.web.conftest import Browser, build_app
from tests.fakes.youtube_analytics import FakeAnalytics

pytestmark = pytest.mark.timeout(120)


async def add_cost(owner: Owner, channel_id: uuid.UUID, video_id: uuid.UUID, usd: str) -> None:
    async with unit_of_work(owner.sessions) as session:
        session.add(
            CostEvent(
                channel_id=channel_id,
                video_id=video_id,
                stage="script",
                kind="text",
                provider="cpu",
                amount_usd=Decimal(usd),
            )
        )


def seeded_revenue(analytics: FakeAnalytics, key: str, first: date, last: date) -> Decimal:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return sum(
        (Decimal(str(analytics.day_values(key, d)["estimatedRevenue"])) for d in days), Decimal(0)
    )


async def test_profit_is_revenue_to_date_minus_the_video_cost_ledger(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    published = noon(today - timedelta(days=12))
    video_id = await owner.video(channel, "vidMoney001", published, views=77)
    just_now = datetime.now(UTC) - timedelta(hours=1)
    idle = await owner.video(channel, "vidIdle0001", just_now)  # no Analytics day yet
    await add_cost(owner, channel.channel_id, video_id, "0.40")
    await add_cost(owner, channel.channel_id, video_id, "0.35")
    await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)

    revenue = seeded_revenue(analytics, "vidMoney001", published.date(), today - timedelta(days=1))
    async with owner.sessions() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        result = await service.video_analytics(session, video)
        profits = await service.video_profits(session, [video_id, idle])
    assert result.revenue_usd == pytest.approx(float(revenue))
    assert result.cost_usd == 0.75
    assert result.profit_usd == pytest.approx(float(revenue) - 0.75)
    assert result.revenue_unknown_days == 0 and len(result.days) == 12
    assert result.views == sum(d.views for d in result.days)
    assert result.metrics_through == today - timedelta(days=1)
    assert result.latest_views is None  # not polled yet
    assert profits[video_id].profit_usd == result.profit_usd
    assert profits[idle].revenue_usd == 0.0 and profits[idle].metrics_through is None

    await poll_fresh_statistics(owner.sessions, owner.settings, now=datetime.now(UTC))
    async with owner.sessions() as session:
        video = await session.get(Video, idle)
        assert video is not None
        fresh = await service.video_analytics(session, video)
    assert fresh.latest_views == 0 and fresh.latest_views_at is not None


async def test_unknown_revenue_gives_an_unknown_profit(owner: Owner, today: date) -> None:
    channel = await owner.channel("No Money", "UCnomoney000000000000001", monetary=False)
    video_id = await owner.video(channel, "vidNoMoney1", noon(today - timedelta(days=5)))
    await add_cost(owner, channel.channel_id, video_id, "1.25")
    await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)
    async with owner.sessions() as session:
        profit = (await service.video_profits(session, [video_id]))[video_id]
    assert profit.views > 0 and profit.cost_usd == 1.25
    assert profit.revenue_usd is None and profit.profit_usd is None
    assert profit.revenue_unknown_days == 5


@pytest.fixture
async def http(owner: Owner, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = owner.settings.model_copy(update={"redis_url": redis_url})
    app = build_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def sign_in_owner(owner: Owner) -> str:
    async with unit_of_work(owner.sessions) as session:
        user = await session.get(User, owner.user_id)
        assert user is not None
        user.email, user.password_hash = "api-owner@example.com", hash_password(PASSWORD)
    return "api-owner@example.com"


async def test_the_api_answers_the_owner_only(
    owner: Owner, http: httpx.AsyncClient, today: date
) -> None:
    api = await login(http, await sign_in_owner(owner))
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    video_id = await owner.video(channel, "vidApi00001", noon(today - timedelta(days=3)))
    await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)

    answer = await api.get(f"/api/v1/analytics/videos/{video_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["video_id"] == str(video_id) and body["youtube_video_id"] == "vidApi00001"
    assert len(body["days"]) == 3 and body["views"] == sum(d["views"] for d in body["days"])
    assert body["profit_usd"] == pytest.approx(body["revenue_usd"] - body["cost_usd"])

    assert (await register(http, "api-other@example.com", api)).status_code == 201
    other = await login(http, "api-other@example.com")
    assert (await other.get(f"/api/v1/analytics/videos/{video_id}")).status_code == 404
    assert (await api.get("/api/v1/analytics/videos/not-a-uuid")).status_code == 404
    assert (await api.get(f"/api/v1/analytics/videos/{uuid.uuid4()}")).status_code == 404


async def test_the_analytics_page_shows_synced_views_and_unknown_revenue(
    owner: Owner, analytics: FakeAnalytics, http: httpx.AsyncClient, today: date
) -> None:
    known = await owner.channel("Known Money", "UCknown00000000000000001")
    unknown = await owner.channel("No Money", "UCnomoney000000000000001", monetary=False)
    for channel in (known, unknown):
        await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)
    browser = Browser(http)
    assert (await browser.login(await sign_in_owner(owner))).status_code == 303
    first, last = today - timedelta(days=6), today - timedelta(days=1)
    page = await browser.get(f"/analytics?from={first.isoformat()}&to={last.isoformat()}")
    assert page.status_code == 200, page.text
    text = " ".join(page.text.split())
    days = [first + timedelta(days=i) for i in range(6)]
    views = sum(int(analytics.day_values(known.youtube_id, d)["views"]) for d in days)
    revenue = seeded_revenue(analytics, known.youtube_id, first, last)
    row = text[text.index("Known Money</a>") :][:400]
    assert f">{fmt_number(views)}<" in row and f">{fmt_money(revenue)}<" in row
    assert "No Money: revenue unknown for 6 of 6 days" in text
    assert "Known Money: revenue unknown" not in text
