"""Playwright driving Debian's Chromium against the real app served by uvicorn.

The app runs on the real Redis (db 15) without a worker. To keep the test fast, the test
itself plays the worker's part instead of running the CPU pipeline (minutes of heavy CPU):
it writes what the stage runner writes (video status and stage through the status machine,
stage runs with costs and artifacts, a small valid H.264/AAC MP4 made with imageio-ffmpeg's
ffmpeg) and publishes real ``video.stage`` events through ``backend.events.bus`` and the
``video.completed`` event through ``record_event`` on the same Redis pub/sub channel the
worker uses. Everything the browser sees - pages, the WebSocket, the media endpoint - is
the production code path.
"""

from __future__ import annotations

import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import redis
import redis.asyncio as aioredis
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.events.bus import publish, record_event
from backend.models import Channel, CostEvent, Video, VideoStage, VideoStatus
from backend.pipeline.stages import PRODUCTION_STAGES, overall_progress
from backend.settings import Settings
from backend.videos import state
from tests.backend.web.conftest import PASSWORD, SCREENSHOTS, LiveServer, needs_chromium
from tests.backend.web.helpers import add_daily_metrics, add_niche, finish_video

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def sign_up_and_log_in(server: LiveServer, page: Page) -> None:
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        assert (await api.post("/api/v1/auth/register", json=body)).status_code == 201
    await page.goto(server.url + "/")
    await expect(page).to_have_url(f"{server.url}/login?next=/")
    await shot(page, "01-login")
    await page.get_by_label("Email").fill("owner@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def run_stages(
    db: async_sessionmaker[AsyncSession],
    client: aioredis.Redis,
    owner_id: uuid.UUID,
    video_id: uuid.UUID,
    page: Page,
) -> None:
    """Move the video through its stages as the stage runner would, checking the page."""
    async with unit_of_work(db) as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await state.transition(session, video, VideoStatus.running)
    for stage in PRODUCTION_STAGES:
        async with unit_of_work(db) as session:
            video = await session.get(Video, video_id)
            assert video is not None
            video.stage = stage
            video.stage_progress = overall_progress(stage, 0.0)
            channel_id = video.channel_id
        for fraction in (0.0, 0.5, 1.0):
            await publish(
                client,
                owner_id,
                {
                    "type": "video.stage",
                    "video_id": str(video_id),
                    "channel_id": str(channel_id),
                    "stage": stage.value,
                    "stage_progress": fraction,
                    "progress": overall_progress(stage, fraction),
                },
            )
        row = page.locator(f'tr[data-video-id="{video_id}"]')
        await expect(row.locator(".js-stage")).to_have_text(stage.value)
        expected = round(overall_progress(stage, 1.0) * 100, 1)
        await page.wait_for_function(
            '([id, v]) => Math.abs(document.querySelector(`tr[data-video-id="${id}"] '
            "progress`).value - v) < 0.5",
            arg=[str(video_id), expected],
        )
        if stage == VideoStage.voice:
            await expect(row.locator(".js-status")).to_have_text("running")
            await shot(page, "05-queue-live-progress")


async def complete(
    db: async_sessionmaker[AsyncSession],
    sync_redis: redis.Redis,
    video_id: uuid.UUID,
    media_root: Path,
) -> None:
    async with unit_of_work(db) as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await finish_video(session, video, media_root)
        await state.transition(session, video, VideoStatus.ready, stage_progress=1.0)
        channel = await session.get(Channel, video.channel_id)
        assert channel is not None
        await record_event(
            session,
            sync_redis,
            user_id=channel.owner_id,
            channel_id=channel.id,
            video_id=video.id,
            type="video.completed",
            message=f"{video.title}: ready",
            data={"title": video.title},
        )


async def test_owner_creates_a_channel_queues_a_video_watches_it_and_plays_it(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    live_settings: Settings,
    browser: Browser,
    redis_url: str,
) -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_up_and_log_in(live_server, page)
    await shot(page, "02-overview-empty")

    # create a channel through the form
    await page.get_by_role("link", name="Channels", exact=True).click()
    await page.get_by_label("Name").fill("Space Facts")
    await page.get_by_label("Niche").fill("astronomy")
    await shot(page, "03-channels-form")
    await page.get_by_role("button", name="Create channel").click()
    await expect(page.get_by_role("heading", name="Space Facts")).to_be_visible()
    await expect(page.get_by_text("Channel created.")).to_be_visible()

    # queue a video and land on the queue, connected to the socket
    await page.get_by_label("Topic").fill("Why black holes glow")
    await page.get_by_role("button", name="Queue video").click()
    await expect(page.get_by_role("heading", name="Video queue")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-ws", "open")
    await shot(page, "04-queue-queued")
    async with live_db() as session:
        video = (await session.scalars(select(Video))).one()
        channel = (await session.scalars(select(Channel))).one()
    client = aioredis.Redis.from_url(redis_url)
    sync_redis = redis.Redis.from_url(redis_url)
    try:
        await run_stages(live_db, client, channel.owner_id, video.id, page)
        await complete(live_db, sync_redis, video.id, live_settings.media_dir)
    finally:
        await client.aclose()
        sync_redis.close()
    toast = page.locator(".toast-success")
    await expect(toast).to_contain_text("Video ready")
    await expect(toast).to_contain_text("Why black holes glow: ready")
    row = page.locator(f'tr[data-video-id="{video.id}"]')
    await expect(row.locator(".js-status")).to_have_text("ready")
    await shot(page, "06-queue-completed-toast")

    # the video page plays the MP4 served by the media endpoint
    await toast.get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Why black holes glow")).to_be_visible()
    player = page.locator("video#player")
    await expect(player).to_be_visible()
    await player.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "() => { const v = document.querySelector('#player'); return v.currentTime > 0.3; }",
        timeout=15000,
    )
    assert await player.evaluate("v => v.videoWidth") == 640
    await player.evaluate("v => v.pause()")
    await shot(page, "07-video-detail")

    # the other pages, with data in them
    async with unit_of_work(live_db) as session:
        await add_niche(session)
        await add_daily_metrics(session, channel.id)
    for name, path in (
        ("08-overview", "/"),
        ("09-channel-detail", f"/channels/{channel.id}"),
        ("10-niches", "/niches"),
        ("11-analytics", "/analytics"),
        ("12-system", "/system"),
        ("13-channels", "/channels"),
    ):
        response = await page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        await shot(page, name)

    # a phone-width, dark-mode view of the queue stays usable
    phone = await browser.new_context(
        viewport={"width": 390, "height": 844},
        color_scheme="dark",
        storage_state=await context.storage_state(),
    )
    phone_page = await phone.new_page()
    await phone_page.goto(live_server.url + "/queue")
    await expect(phone_page.get_by_role("heading", name="Video queue")).to_be_visible()
    await shot(phone_page, "14-queue-phone-dark")
    await phone.close()
    await context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


async def test_overview_refreshes_its_numbers_every_60_seconds_without_reload(
    live_server: LiveServer, live_db: async_sessionmaker[AsyncSession], browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.clock.install()
    await sign_up_and_log_in(live_server, page)
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        response = await api.post(
            "/api/v1/channels",
            json={"name": "Space Facts", "niche": "astronomy"},
            headers={"Authorization": f"Bearer {token}"},
        )
        channel_id = uuid.UUID(response.json()["id"])
    await page.reload()
    cost = page.locator('.kpi-value[data-metric="totals.cost_today_usd"]')
    await expect(cost).to_have_text("$0.00")
    await page.evaluate("() => { window.__marker = 'same page'; }")
    async with unit_of_work(live_db) as session:
        session.add(
            CostEvent(
                id=uuid.uuid4(),
                channel_id=channel_id,
                stage="render",
                kind="render",
                provider="cpu",
                units=1.0,
                unit="call",
                device_seconds=10.0,
                amount_usd=Decimal("1.25"),
                occurred_at=utcnow(),
            )
        )
    await page.clock.run_for(59_000)
    await page.wait_for_timeout(300)
    await expect(cost).to_have_text("$0.00")  # not yet: the poll is every 60 s
    await page.clock.run_for(1_500)
    await expect(cost).to_have_text("$1.25")
    await expect(page.locator("body")).to_have_attribute("data-polls", "1")
    assert await page.evaluate("() => window.__marker") == "same page"  # no reload
    await context.close()
