"""The niche page shows the owner's measured RPM against the category table's estimate,
the views behind it and its weight, and ranks niches by the owner's blended score."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.niches.monetization import pacific_today
from tests.backend.conftest import login
from tests.backend.niches.test_monetization import add_days, expected, scored_niche
from tests.backend.web.conftest import (  # noqa: F401 - fixtures used by name
    Browser,
    api,
    owner_browser,
    sessions,
    web_app,
)


async def test_the_page_shows_measured_rpm_against_estimated(
    owner_browser: Browser,  # noqa: F811
    api: httpx.AsyncClient,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    fryer = scored_niche("air fryer recipes", "cooking")
    bread = scored_niche("sourdough bread", "cooking")
    funds = scored_niche("index fund investing", "personal_finance")
    assert fryer.score is not None and funds.score is not None
    funds.score = fryer.score + 3  # the market ranks the finance niche first
    async with unit_of_work(sessions) as session:
        session.add_all([fryer, bread, funds])
    owner = await login(api, "owner@example.com")
    channel = await owner.create_channel(name="Fryer", niche="air fryer recipes")
    await add_days(sessions, uuid.UUID(channel["id"]), 30, 2000, "24.00", end=pacific_today())

    page = (await owner_browser.get(f"/niches?niche={fryer.id}")).text
    assert "Monetization: measured RPM against estimated" in page
    assert "$3.50" in page and "the Cooking &amp; food category table" in page
    assert (
        "$12.00" in page and "on 60,000 views ($720.00) of your 1 channel about this niche" in page
    )
    assert "86 % measured" in page and "views / (views + 10,000)" in page  # 60k / 70k
    want = expected(fryer, 12.0, 60_000, 10_000)
    assert f"score {want:.1f} for you, {fryer.score:.1f} from the estimate" in page
    # the list ranks by the owner's score: the fryer niche overtakes the finance niche
    names = re.findall(r'<a href="/niches\?niche=[^"]+">([^<]+)</a>', page)
    assert names.index("air fryer recipes") < names.index("index fund investing")
    page = (await owner_browser.get(f"/niches?niche={funds.id}")).text
    assert "none yet: no views with known revenue" in page and "0 % measured" in page
    # bread is in the same category: measured on the category's channels
    page = (await owner_browser.get(f"/niches?niche={bread.id}")).text
    assert "of your 1 channel in its category" in page
