"""Playwright on Debian's Chromium: the live queue updates rows in place from the events the
pipeline publishes, and every page fits a 390 px phone with 100-character unbroken names.

As in test_browser.py, the test plays the worker's part: it writes rows the way the stage
runner does and publishes ``video.stage`` (with ``status, title, quality_score, detail``)
through ``backend.events.bus`` on the real Redis, and ``video.completed`` /
``video.needs_review`` through ``record_event``; the browser sees the production code path.
Screenshots go to /tmp/shots/dash/.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.events.bus import publish, record_event
from backend.models import Channel, Video, VideoStage, VideoStatus
from backend.pipeline.stages import overall_progress
from backend.settings import Settings
from backend.videos import state
from backend.web.formats import fmt_money
from tests.backend.web.conftest import PASSWORD, LiveServer, needs_chromium
from tests.backend.web.helpers import add_daily_metrics, add_niche, finish_video
from tests.backend.web.test_browser import (
    sign_up_and_log_in,
)

SHOTS = Path("/tmp/shots/dash")
LONG_CHANNEL = "Supercalifragilistic" * 5  # 100 characters, no space to break at
LONG_TITLE = "Whyblackholesglowbrighterthanwholegalaxies" * 2 + "Andwhatquasarsmeanforus"
assert len(LONG_CHANNEL) == 100 and len(LONG_TITLE) == 107

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def api_token(server: LiveServer) -> str:
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        token: str = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        return token


async def api_post(server: LiveServer, token: str, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=server.url) as api:
        response = await api.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def redis_clients(redis_url: str) -> AsyncIterator[tuple[aioredis.Redis, redis.Redis]]:
    client = aioredis.Redis.from_url(redis_url)
    sync = redis.Redis.from_url(redis_url)
    yield client, sync
    await client.aclose()
    sync.close()


async def stage_event(
    client: aioredis.Redis, owner_id: uuid.UUID, video: Video, stage: VideoStage, **extra: Any
) -> None:
    fraction = float(extra.pop("stage_progress", 0.5))
    await publish(
        client,
        owner_id,
        {
            "type": "video.stage",
            "video_id": str(video.id),
            "channel_id": str(video.channel_id),
            "stage": stage.value,
            "stage_progress": fraction,
            "progress": overall_progress(stage, fraction),
            "status": "running",
            "title": None,
            "quality_score": None,
            "detail": None,
            **extra,
        },
    )


async def progress_of(page: Page, video_id: uuid.UUID) -> float:
    value: float = await page.evaluate(
        'id => document.querySelector(`tr[data-video-id="${id}"] progress`).value',
        str(video_id),
    )
    return value


async def test_queue_rows_update_title_stage_progress_detail_quality_and_status_live(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    browser: Any,
    redis_clients: tuple[aioredis.Redis, redis.Redis],
) -> None:
    client, sync = redis_clients
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await sign_up_and_log_in(live_server, page)
    token = await api_token(live_server)
    channel = await api_post(
        live_server, token, "/api/v1/channels", {"name": "Space Facts", "niche": "astronomy"}
    )
    first = await api_post(live_server, token, f"/api/v1/channels/{channel['id']}/videos", {})
    second = await api_post(
        live_server, token, f"/api/v1/channels/{channel['id']}/videos", {"topic": "quasars"}
    )
    async with unit_of_work(live_db) as session:
        video = await session.get(Video, uuid.UUID(first["id"]))
        other = await session.get(Video, uuid.UUID(second["id"]))
        assert video is not None and other is not None
        owner_id = (await session.get(Channel, video.channel_id)).owner_id  # type: ignore[union-attr]
        await state.transition(session, video, VideoStatus.running)
    await page.goto(live_server.url + "/queue")
    await expect(page.locator("body")).to_have_attribute("data-ws", "open")
    row = page.locator(f'tr[data-video-id="{video.id}"]')
    await expect(row.locator(".js-title")).to_have_text("Untitled video")
    await expect(row.locator(".js-quality")).to_have_text("—")
    await page.evaluate("() => { window.__marker = 'same page'; }")
    # live numbers use the same money rule as the server-rendered pages
    amounts = [0, 0.75, 12.3, 1234.5, 0.0064, 0.005, 0.00004, -0.0021, -3.1, 0.01]
    in_js = await page.evaluate("xs => xs.map(x => window.ytempire.money(x))", amounts)
    assert in_js == [fmt_money(x) for x in amounts]

    # the script stage reports words as they are written; the title arrives with the script
    await stage_event(
        client, owner_id, video, VideoStage.script, stage_progress=0.4, detail="312 words written"
    )
    await expect(row.locator(".js-stage")).to_have_text("script")
    await expect(row.locator(".js-detail")).to_have_text("312 words written")
    await expect(row.locator(".js-status")).to_have_text("running")
    assert (
        abs(await progress_of(page, video.id) - overall_progress(VideoStage.script, 0.4) * 100)
        < 0.5
    )
    await stage_event(
        client,
        owner_id,
        video,
        VideoStage.quality,
        stage_progress=1.0,
        title="Why black holes glow",
        quality_score=0.82,
        detail="score 0.82",
    )
    await expect(row.locator(".js-title")).to_have_text("Why black holes glow")
    await expect(row.locator(".js-quality")).to_have_text("0.82")
    await expect(row.locator(".js-stage")).to_have_text("quality")
    await expect(row.locator(".js-detail")).to_have_text("score 0.82")
    await stage_event(
        client, owner_id, video, VideoStage.render, stage_progress=0.47, detail="frame 840/1800"
    )
    await expect(row.locator(".js-detail")).to_have_text("frame 840/1800")
    assert (
        abs(await progress_of(page, video.id) - overall_progress(VideoStage.render, 0.47) * 100)
        < 0.5
    )
    await page.wait_for_timeout(600)  # the bar's width transition
    await shot(page, "live-01-render-progress")

    # ready: the row says ready, full bar, no stale detail
    async with unit_of_work(live_db) as session:
        fresh = await session.get(Video, video.id)
        assert fresh is not None
        await state.transition(session, fresh, VideoStatus.ready, stage_progress=1.0)
        await record_event(
            session,
            sync,
            user_id=owner_id,
            channel_id=fresh.channel_id,
            video_id=fresh.id,
            type="video.completed",
            message="Why black holes glow: ready",
            data={"title": "Why black holes glow", "video_id": str(fresh.id)},
        )
    await expect(row.locator(".js-status")).to_have_text("ready")
    await expect(row.locator(".js-stage")).to_have_text("ready")
    await expect(row.locator(".js-detail")).to_have_text("")
    assert await progress_of(page, video.id) == 100
    await expect(page.locator(".toast-success")).to_contain_text("Why black holes glow: ready")

    # needs review: a toast that links to the video, the row's badge changes
    async with unit_of_work(live_db) as session:
        held = await session.get(Video, other.id)
        assert held is not None
        await state.transition(session, held, VideoStatus.running)
        await state.transition(
            session, held, VideoStatus.needs_review, quality_reasons=["too short"]
        )
        await record_event(
            session,
            sync,
            user_id=owner_id,
            channel_id=held.channel_id,
            video_id=held.id,
            type="video.needs_review",
            message="Quasars explained needs review: too short",
            severity="warning",
            data={
                "video_id": str(held.id),
                "title": "Quasars explained",
                "score": 0.41,
                "reasons": ["too short"],
            },
        )
    held_row = page.locator(f'tr[data-video-id="{other.id}"]')
    await expect(held_row.locator(".js-status")).to_have_text("needs review")
    await expect(held_row.locator(".js-title")).to_have_text("Quasars explained")
    await expect(held_row.locator(".js-quality")).to_have_text("0.41")
    toast = page.locator(".toast-warning")
    await expect(toast).to_contain_text("Quasars explained needs review")
    await expect(toast.get_by_role("link")).to_have_attribute("href", f"/videos/{other.id}")
    await shot(page, "live-02-needs-review-toast")
    assert await page.evaluate("() => window.__marker") == "same page"  # never reloaded

    # the overview lists the video that needs review among its alerts
    await page.goto(live_server.url + "/")
    alerts = page.locator(".events")
    await expect(alerts).to_contain_text("Quasars explained needs review")
    await expect(
        alerts.get_by_role("link", name="Quasars explained needs review")
    ).to_have_attribute("href", f"/videos/{other.id}")
    summary = page.locator(".needs-review-summary")
    await expect(summary).to_contain_text("1 video needs review")
    await expect(summary.get_by_role("link")).to_have_attribute(
        "href", "/queue?status=needs_review"
    )
    await shot(page, "live-03-overview-alert")
    await context.close()


PHONE_PAGES = (
    ("overview", "/"),
    ("channels", "/channels"),
    ("channel", "/channels/{channel}"),
    ("channel-edit", "/channels/{channel}/edit"),
    ("queue", "/queue"),
    ("video", "/videos/{video}"),
    ("niches", "/niches"),
    ("analytics", "/analytics"),
    ("system", "/system"),
    ("not-found", "/no/such/page"),
)

NAV_VISIBLE = """() => Array.from(document.querySelectorAll('.mainnav a')).map(a => {
  const r = a.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {text: a.textContent.trim(), left: r.left, right: r.right, width: r.width,
          onTop: !!hit && (hit === a || a.contains(hit))};
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_page_fits_a_390_px_phone_with_100_character_names(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    live_settings: Settings,
    browser: Any,
    redis_clients: tuple[aioredis.Redis, redis.Redis],
    scheme: str,
) -> None:
    _, sync = redis_clients
    desktop = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await desktop.new_page()
    await sign_up_and_log_in(live_server, page)
    token = await api_token(live_server)
    channel = await api_post(
        live_server, token, "/api/v1/channels", {"name": LONG_CHANNEL, "niche": "astronomy"}
    )
    created = await api_post(
        live_server, token, f"/api/v1/channels/{channel['id']}/videos", {"topic": LONG_TITLE}
    )
    await api_post(live_server, token, f"/api/v1/channels/{channel['id']}/videos", {})
    async with unit_of_work(live_db) as session:
        video = await session.get(Video, uuid.UUID(created["id"]))
        assert video is not None
        await state.transition(session, video, VideoStatus.running)
        await finish_video(session, video, live_settings.media_dir)
        video.title = LONG_TITLE
        await state.transition(session, video, VideoStatus.ready, stage_progress=1.0)
        await add_niche(session, name="Space exploration " + LONG_CHANNEL[:60])
        await add_daily_metrics(session, video.channel_id)
        owner_id = (await session.scalars(select(Channel.owner_id))).one()
        await record_event(
            session,
            sync,
            user_id=owner_id,
            channel_id=video.channel_id,
            video_id=video.id,
            type="video.failed",
            severity="error",
            message=f"{LONG_TITLE} failed at render",
            data={},
        )
    phone = await browser.new_context(
        viewport={"width": 390, "height": 844},
        color_scheme=scheme,
        storage_state=await desktop.storage_state(),
    )
    phone_page = await phone.new_page()
    wide: dict[str, int] = {}
    hidden: dict[str, list[str]] = {}
    for name, template in PHONE_PAGES:
        path = template.format(channel=channel["id"], video=video.id)
        response = await phone_page.goto(live_server.url + path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), path
        await expect(phone_page.locator(".mainnav")).to_be_visible()
        await shot(phone_page, f"phone-{scheme}-{name}")
        width = await phone_page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
        links = await phone_page.evaluate(NAV_VISIBLE)
        assert len(links) >= 6, links
        off = [
            link["text"]
            for link in links
            if link["width"] <= 0 or link["left"] < 0 or link["right"] > 390 or not link["onTop"]
        ]
        if off:
            hidden[path] = off
    signed_out = await browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme=scheme
    )
    login = await signed_out.new_page()
    await login.goto(live_server.url + "/login")
    await shot(login, f"phone-{scheme}-login")
    width = await login.evaluate("() => document.documentElement.scrollWidth")
    if width > 390:
        wide["/login"] = width
    await signed_out.close()
    assert not wide, f"pages wider than the 390 px viewport: {wide}"
    assert not hidden, f"navigation links not visible on a phone: {hidden}"
    await phone.close()
    await desktop.close()
