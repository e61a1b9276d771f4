"""Playwright on Debian's Chromium: the owner reviews a held script (edits a scene's
narration, saves and approves it) and discards a ready video after confirming.

The test plays the worker's part the way tests/backend/web/test_browser.py does: it writes what
the stage runner leaves behind (tests/backend/videos/states.py); the pages, forms and the
services behind them are the production code path.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import StageStatus, Video, VideoStage, VideoStatus
from tests.backend.videos.states import REASONS, finish_production, hold_for_review, runs_of
from tests.backend.web.conftest import PASSWORD, LiveServer, needs_chromium
from tests.backend.web.test_browser import sign_up_and_log_in

SHOTS = Path(os.environ.get("YTE_SHOTS_DIR", "/tmp/shots/videos"))

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def queued_video(server: LiveServer, topic: str) -> uuid.UUID:
    """A channel (if none yet) and a queued video, through the API as the owner."""
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        channels = (await api.get("/api/v1/channels", headers=headers)).json()
        items = channels["items"] if isinstance(channels, dict) else channels
        if items:
            channel_id = items[0]["id"]
        else:
            made = await api.post(
                "/api/v1/channels",
                json={"name": "Space Facts", "niche": "astronomy"},
                headers=headers,
            )
            channel_id = made.json()["id"]
        video = await api.post(
            f"/api/v1/channels/{channel_id}/videos", json={"topic": topic}, headers=headers
        )
        assert video.status_code == 201, video.text
        return uuid.UUID(video.json()["id"])


async def test_owner_edits_and_approves_a_held_script(
    live_server: LiveServer, live_db: async_sessionmaker[AsyncSession], browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_up_and_log_in(live_server, page)
    video_id = await queued_video(live_server, "Why black holes glow")
    async with unit_of_work(live_db) as session:
        await hold_for_review(session, video_id)

    await page.goto(f"{live_server.url}/queue?status=needs_review")
    row = page.locator(f'tr[data-video-id="{video_id}"]')
    await expect(row.locator(".js-status")).to_have_text("needs review")
    await expect(row.get_by_role("button", name="Cancel")).to_be_visible()
    await row.get_by_role("link", name="Review").click()

    review = page.locator("#review")
    await expect(review.get_by_role("heading", name="Review the script")).to_be_visible()
    for reason in REASONS:
        await expect(review.get_by_text(reason)).to_be_visible()
    await expect(review).to_contain_text("0.62")
    await shot(page, "01-review-held-script")
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing sticks out
    await page.reload()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(page, "01b-review-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
    review = page.locator("#review")

    narration = review.locator("fieldset", has_text="Scene 2").get_by_label("Narration")
    await narration.fill("x")  # too short: the page says so and keeps the other fields
    await review.get_by_role("button", name="Save and approve").click()
    await expect(
        page.get_by_text("Narration of scene 2 needs at least 10 characters")
    ).to_be_visible()
    await shot(page, "02-review-error")

    edited = "Gas heated to millions of degrees glows brighter than whole galaxies."
    narration = page.locator("#review fieldset", has_text="Scene 2").get_by_label("Narration")
    await narration.fill(edited)
    await page.locator("#review").get_by_role("button", name="Save and approve").click()
    await expect(page.get_by_text("Script approved: production continues")).to_be_visible()
    await expect(page.locator(".page-head .js-status")).to_have_text("queued")
    await expect(page.locator("#review")).to_have_count(0)
    await expect(page.get_by_text(edited)).to_be_visible()
    await expect(page.get_by_text("Approved by you")).to_be_visible()
    await shot(page, "03-approved")

    async with live_db() as session:
        video = await session.get(Video, video_id)
        runs = await runs_of(session, video_id)
    assert video is not None and video.status == VideoStatus.queued
    assert video.approved_by is not None and video.approved_score == 0.62
    assert runs[VideoStage.quality].status == StageStatus.succeeded
    assert runs[VideoStage.script].output["script"]["scenes"][1]["narration"] == edited
    # the only failed load is the refused form post (400) above
    assert all("400" in e for e in errors), errors
    await context.close()


async def test_owner_discards_a_ready_video_after_confirming(
    live_server: LiveServer, live_db: async_sessionmaker[AsyncSession], browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_up_and_log_in(live_server, page)
    video_id = await queued_video(live_server, "Comets up close")
    async with unit_of_work(live_db) as session:
        await finish_production(session, video_id)

    await page.goto(f"{live_server.url}/queue")
    row = page.locator(f'tr[data-video-id="{video_id}"]')
    await expect(row.locator(".js-status")).to_have_text("ready")
    await expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
    await shot(page, "04-queue-ready")
    await row.get_by_role("link", name="Discard").click()

    await expect(page.get_by_role("heading", name="Discard this video?")).to_be_visible()
    await shot(page, "05-discard-confirm")
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.get_by_role("link", name="Keep it").click()  # changing one's mind is free
    await expect(page.get_by_role("heading", name="Video queue")).to_be_visible()
    async with live_db() as session:
        video = await session.get(Video, video_id)
        assert video is not None and video.status == VideoStatus.ready

    await (
        page.locator(f'tr[data-video-id="{video_id}"]').get_by_role("link", name="Discard").click()
    )
    await page.get_by_role("button", name="Discard video").click()
    await expect(page.get_by_text("Video discarded.")).to_be_visible()
    row = page.locator(f'tr[data-video-id="{video_id}"]')
    await expect(row.locator(".js-status")).to_have_text("discarded")
    await expect(row.get_by_role("button", name="Make again")).to_be_visible()
    await shot(page, "06-discarded")
    async with live_db() as session:
        video = await session.get(Video, video_id)
        assert video is not None and video.status == VideoStatus.discarded

    await row.get_by_role("button", name="Make again").click()
    await expect(page.get_by_text("Video queued again: a new script")).to_be_visible()
    await expect(row.locator(".js-status")).to_have_text("queued")
    await shot(page, "07-made-again")
    await context.close()
