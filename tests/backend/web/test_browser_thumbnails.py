"""Playwright on Debian's Chromium: the owner sees both thumbnail variants of a ready video
(real thumbnails drawn by the renderer) and picks B."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.backends.slides import render_spec
from ai.slide_spec import SlideSpec
from backend.db.session import unit_of_work
from backend.models import StageRun, Video, VideoStage
from backend.render.thumbnail import make_thumbnail
from backend.settings import Settings
from tests.backend.videos.states import finish_production
from tests.backend.web.conftest import LiveServer, needs_chromium
from tests.backend.web.test_browser import sign_up_and_log_in
from tests.backend.web.test_browser_videos import queued_video

SHOTS = Path(os.environ.get("YTE_SHOTS_DIR", "/tmp/shots/videos"))

pytestmark = needs_chromium


async def test_owner_picks_thumbnail_variant_b(
    live_settings: Settings,
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    browser: Browser,
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_up_and_log_in(live_server, page)
    video_id = await queued_video(live_server, "Solar eclipses")
    video_dir = live_settings.media_dir / str(video_id)
    video_dir.mkdir(parents=True, exist_ok=True)
    checks = []
    for name, side, region, text in (
        ("thumbnail", "left", "right", "Solar eclipse"),
        ("thumbnail_b", "right", "left", "What happens during a total solar eclipse"),
    ):
        visual = video_dir / f"{name}_visual.png"
        spec = SlideSpec(layout="thumbnail", side=side, number="7.5" if side == "left" else "")
        render_spec(spec, "eclipse", 1280, 720, 3).image.save(visual)
        checks.append(
            make_thumbnail(visual, text, video_dir / f"{name}.jpg", region=region).summary()
        )  # type: ignore[arg-type]
    async with unit_of_work(live_db) as session:
        await finish_production(session, video_id)
        run = await session.scalar(
            select(StageRun).where(
                StageRun.video_id == video_id, StageRun.stage == VideoStage.thumbnail
            )
        )
        assert run is not None
        run.artifacts = {"thumbnail": "thumbnail.jpg", "thumbnail_b": "thumbnail_b.jpg"}
        run.output = {"thumbnails": checks}

    await page.goto(f"{live_server.url}/videos/{video_id}")
    card = page.locator(".thumb-variants")
    await expect(card.locator("figure")).to_have_count(2)
    await expect(card.locator("figure.picked")).to_contain_text("SOLAR ECLIPSE")
    for img in await card.locator("img").all():  # both images load
        assert await img.evaluate("i => i.complete && i.naturalWidth === 1280")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await card.screenshot(path=str(SHOTS / "thumbnail-variants.png"))
    await (
        card.locator("figure", has_text="TOTAL SOLAR ECLIPSE")
        .get_by_role("button", name="Use this one")
        .click()
    )
    await expect(page.get_by_text("Thumbnail picked: the upload sends this one.")).to_be_visible()
    await expect(page.locator(".thumb-variants figure.picked")).to_contain_text(
        "TOTAL SOLAR ECLIPSE"
    )
    async with live_db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.thumbnail_variant == 1
    await context.close()
