"""The niches page goes through the niches service: the same threshold rules and the same
answer to a duplicate as ``/api/v1/users/watchlist``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.niches import repository
from tests.backend.conftest import login
from tests.backend.web.conftest import Browser
from tests.backend.web.helpers import add_niche

WATCHLIST = "/api/v1/users/watchlist"
# In range, out of range, not numbers, and digits Python's float() reads but the API refuses.
THRESHOLDS = (
    "70",
    "0",
    "100",
    "1e2",
    " 42.5 ",
    "-1",
    "150",
    "lots",
    "nan",
    "\uff11\uff10",
    "\u0663",
)  # fullwidth 10, Arabic-Indic 3


async def test_the_page_accepts_exactly_the_thresholds_the_api_accepts(
    owner_browser: Browser, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner = await login(api, "owner@example.com")
    async with unit_of_work(sessions) as session:
        niche = await add_niche(session)
    for value in THRESHOLDS:
        by_api = await owner.post(
            WATCHLIST, json={"niche_id": str(niche.id), "alert_threshold": value}
        )
        api_entries = (await owner.get(WATCHLIST)).json()
        await owner.delete(f"{WATCHLIST}/{niche.id}")
        page = await owner_browser.submit(
            f"/niches/{niche.id}/watch", {"action": "watch", "threshold": value}, page="/niches"
        )
        page_entries = (await owner.get(WATCHLIST)).json()
        await owner.delete(f"{WATCHLIST}/{niche.id}")
        assert (by_api.status_code == 201) == (page.status_code == 303), (value, page.text[:200])
        if page.status_code == 303:
            assert page_entries[0]["alert_threshold"] == api_entries[0]["alert_threshold"], value
        else:
            assert by_api.status_code == 422 and page.status_code == 400, value
            assert "The alert threshold must be a number from 0 to 100" in page.text
            assert page_entries == []


async def test_a_duplicate_add_answers_409_on_the_page_as_in_the_api(
    owner_browser: Browser,
    api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = await login(api, "owner@example.com")
    async with unit_of_work(sessions) as session:
        niche = await add_niche(session)
    body = {"niche_id": str(niche.id), "alert_threshold": 60}
    assert (await owner.post(WATCHLIST, json=body)).status_code == 201

    async def not_seen(*_: Any) -> None:  # a concurrent request's row lands after the check
        return None

    monkeypatch.setattr(repository, "watchlist_entry_for_niche", not_seen)
    by_api = await owner.post(WATCHLIST, json=body)
    page = await owner_browser.submit(
        f"/niches/{niche.id}/watch", {"action": "watch", "threshold": "60"}, page="/niches"
    )
    assert by_api.status_code == 409 and by_api.json()["error"]["code"] == "favorite_exists"
    assert page.status_code == 409, page.text[:300]
    assert by_api.json()["error"]["message"] in page.text  # "niche is already on the watchlist"
    monkeypatch.undo()
    assert len((await owner.get(WATCHLIST)).json()) == 1


async def test_removing_a_niche_that_is_not_watched_still_lands_on_the_page(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        niche = await add_niche(session)
    response = await owner_browser.submit(
        f"/niches/{niche.id}/watch", {"action": "unwatch"}, page="/niches"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/niches?niche={niche.id}&notice=unwatched"
