"""Playwright on Debian's Chromium: the niches explorer's watchlist form, through the service.
Screenshots go to /tmp/shots/niches/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from tests.backend.web.conftest import LiveServer, needs_chromium
from tests.backend.web.helpers import add_niche
from tests.backend.web.test_browser import (
    sign_up_and_log_in,
)

SHOTS = Path("/tmp/shots/niches")

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_adding_a_niche_to_the_watchlist_and_a_bad_threshold(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    browser: Any,
) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await sign_up_and_log_in(live_server, page)
    async with unit_of_work(live_db) as session:
        await add_niche(session)
    await page.goto(f"{live_server.url}/niches")
    await shot(page, "01-niches")
    # the browser's own number check is off here, so the server's rule answers
    await page.locator("#threshold").evaluate("el => el.removeAttribute('max')")
    await page.fill("#threshold", "150")
    await page.get_by_role("button", name="Add to watchlist").click()
    await expect(page.locator("#threshold-error")).to_contain_text("from 0 to 100")
    await shot(page, "02-threshold-error")
    await page.fill("#threshold", "70")
    await page.get_by_role("button", name="Add to watchlist").click()
    await expect(page.get_by_text("On your watchlist; alert at score 70")).to_be_visible()
    await expect(page.locator(".niche-table .badge")).to_have_text("on watchlist")
    await shot(page, "03-on-watchlist")
    await page.get_by_role("button", name="Remove from watchlist").click()
    await expect(page.get_by_role("button", name="Add to watchlist")).to_be_visible()
    await context.close()
