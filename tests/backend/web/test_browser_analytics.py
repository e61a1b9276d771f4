"""Playwright on Debian's Chromium against the live app: the analytics page over the seeded
range (analytics_seed.py) draws its charts, links the best video to its page, whose card
draws views and revenue since publish; the CSV link downloads; the overview shows ROI; a
``niche.alert`` recorded as backend/niches/alerts.py records it becomes a toast.
Screenshots: /tmp/shots/analytics-*.png (YTE_SHOTS_DIR)."""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from pathlib import Path

import httpx
import redis
from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics.export import CHANNEL_HEADER
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.events.bus import record_event
from backend.models import Niche
from tests.backend.web.analytics_seed import END, START, TOP, seed, seed_last_30_days
from tests.backend.web.conftest import PASSWORD, LiveServer, needs_chromium

SHOTS = Path(os.environ.get("YTE_SHOTS_DIR", "/tmp/shots"))

pytestmark = needs_chromium


async def shot(page: Page, name: str, selector: str | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"analytics-{name}.png")
    if selector is None:
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=path, full_page=True)
        return
    unstick = "s => { document.querySelector('.topbar').style.position = s; }"
    await page.evaluate(unstick, "static")
    await page.locator(selector).first.screenshot(path=path)
    await page.evaluate(unstick, "")


async def owners(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        assert (await api.post("/api/v1/auth/register", json=body)).status_code == 201
        token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        other = {"email": "other@example.com", "password": PASSWORD}
        created = await api.post(
            "/api/v1/auth/register", json=other, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text


async def sign_in(page: Page, server: LiveServer) -> None:
    await page.goto(server.url + "/login")
    await page.get_by_label("Email").fill("owner@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def drawn(page: Page, selector: str) -> int:
    """How many of the charts under ``selector`` have painted shapes of a real size."""
    count: int = await page.evaluate(
        """sel => Array.from(document.querySelectorAll(sel)).filter(svg => {
             const box = svg.getBoundingClientRect();
             const shapes = svg.querySelectorAll('polyline, rect.bar, rect.dbar, rect.hbar');
             return box.width > 200 && box.height > 30 && Array.from(shapes).some(s => {
               const b = s.getBBox(); return b.width > 0 && b.height > 0; });
           }).length""",
        selector,
    )
    return count


async def test_the_analytics_page_and_the_video_page_draw_their_charts(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    browser: Browser,
    redis_url: str,
) -> None:
    await owners(live_server)
    seeded = await seed(live_db, "owner@example.com", "other@example.com")
    context = await browser.new_context(
        viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, live_server)

    await page.goto(f"{live_server.url}/analytics?from={START}&to={END}")
    await expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    # both channels together (2) and 4 per channel (but no RPM chart for the channel whose
    # revenue is unknown every day): every one painted, and the videos' two
    assert await drawn(page, ".channel-charts svg.chart") == 7
    assert await drawn(page, ".combined-charts svg.chart") == 2
    assert await drawn(page, ".videos-by-profit svg.chart") == 2
    await expect(page.locator(".top-videos tbody tr")).to_have_count(3)
    first = page.locator(".top-videos tbody tr").first.get_by_role("link")
    await expect(first).to_have_text(TOP[0])
    await shot(page, "page")
    await shot(page, "videos", ".videos-by-profit")
    await shot(page, "channel", f'.channel-charts[data-channel-id="{seeded.known}"]')

    # the CSV link downloads the export with the page's session
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="CSV per channel").click()
    download = await download_info.value
    assert download.suggested_filename == f"ytempire-channels-{START}-{END}.csv"
    text = Path(await download.path()).read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CHANNEL_HEADER and len(rows) == 15

    # the profit chart's bar label links to the video: its card draws both charts
    await page.locator(".chart.diverging a").first.click()
    await expect(page.get_by_role("heading", name=TOP[0])).to_be_visible()
    card = page.locator("#analytics")
    await expect(card).to_contain_text("Profit to date")
    await expect(card.locator('[data-fact="profit"]')).to_have_text("$5.50")
    assert await drawn(page, "#analytics svg.chart") == 2
    await shot(page, "video", "#analytics")

    # a phone: the page and its charts fit the screen
    phone = await browser.new_context(viewport={"width": 390, "height": 844})
    small = await phone.new_page()
    await small.context.add_cookies(await context.cookies())
    await small.goto(f"{live_server.url}/analytics?from={START}&to={END}")
    width = await small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert await drawn(small, ".channel-charts svg.chart") == 7
    await shot(small, "phone")
    await phone.close()

    # the overview: ROI per channel, the unknown days
    earning, _ = await seed_last_30_days(live_db, "owner@example.com", utcnow().date())
    await page.goto(live_server.url + "/")
    roi = page.locator(".kpi", has_text="ROI · 30 days").locator(".kpi-value")
    await expect(roi).to_have_text("+275 %")
    await expect(page.locator(".revenue-unknown")).to_be_visible()
    await expect(page.locator(".revenue-unknown")).to_contain_text("revenue unknown for 5 days")
    await shot(page, "overview")

    # the 60 s poll (made 1 s here) writes what the API says: null is a dash, never $0.00
    async def fast_poll(route: Route) -> None:
        response = await route.fetch()
        body = (await response.text()).replace('data-poll-seconds="60"', 'data-poll-seconds="1"')
        await route.fulfill(response=response, body=body)

    async def changed(route: Route) -> None:
        response = await route.fetch()
        data = await response.json()
        data["totals"].update(roi_30d_pct=None, revenue_30d_usd=None, revenue_unknown_days_30d=1)
        for row in data["channels"]:
            if row["id"] == str(earning):
                row["roi_30d_pct"] = -12.4
        await route.fulfill(response=response, json=data)

    assert not errors, errors
    await page.route(live_server.url + "/", fast_poll)
    await page.route("**/api/v1/dashboard/metrics", changed)
    await page.goto(live_server.url + "/")
    await page.wait_for_function("() => Number(document.body.dataset.polls || 0) >= 1")
    await expect(roi).to_have_text("—")
    await expect(roi).not_to_have_class(re.compile("negative"))
    revenue = page.locator('[data-metric="totals.revenue_30d_usd"]')
    await expect(revenue).to_have_text("—")
    await expect(page.locator(".revenue-unknown")).to_contain_text("revenue unknown for 1 day")
    cell = page.locator(f'tr[data-channel-id="{earning}"] [data-field="roi_30d_pct"]')
    await expect(cell).to_have_text("-12 %")
    await expect(cell).to_have_class(re.compile("negative"))
    await page.unroute("**/api/v1/dashboard/metrics")
    await page.unroute(live_server.url + "/")
    # Chromium refuses a fulfilled (not network-loaded) page its WebSocket to 127.0.0.1
    # (local network access checks): that page's console error is the test's own doing.
    errors[:] = [e for e in errors if "ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS" not in e]
    await page.goto(live_server.url + "/")

    # niche.alert: a toast with a link to the niche
    await page.emulate_media(reduced_motion="reduce")  # the screenshot without the slide-in
    await expect(page.locator("body")).to_have_attribute("data-ws", "open")
    sync_redis = redis.Redis.from_url(redis_url)
    try:
        async with unit_of_work(live_db) as session:
            niche = Niche(id=uuid.uuid4(), name="Budget travel", category="travel", score=81.0)
            session.add(niche)
            await session.flush()
            await record_event(
                session,
                sync_redis,
                user_id=seeded.owner_id,
                type="niche.alert",
                message="Budget travel scored 81.0, above your threshold 75",
                data={"niche_id": str(niche.id), "score": 81.0, "threshold": 75.0},
            )
    finally:
        sync_redis.close()
    toast = page.locator(".toast", has_text="Niche alert")
    await expect(toast).to_contain_text("Budget travel scored 81.0")
    await expect(toast.get_by_role("link")).to_have_attribute("href", f"/niches?niche={niche.id}")
    await shot(page, "niche-toast", ".toasts")
    assert not errors, errors
    await context.close()
