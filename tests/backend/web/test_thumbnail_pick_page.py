"""The video page's thumbnail card: both variants with their checks, a CSRF form to pick."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import StageRun, Video, VideoStage, VideoStatus
from tests.backend.videos.states import finish_production
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel, queue_video


async def _ready_with_variants(session: AsyncSession, video_id: uuid.UUID) -> None:
    await finish_production(session, video_id)
    run = await session.scalar(
        select(StageRun).where(
            StageRun.video_id == video_id, StageRun.stage == VideoStage.thumbnail
        )
    )
    assert run is not None
    run.artifacts = {"thumbnail": "thumbnail.jpg", "thumbnail_b": "thumbnail_b.jpg"}
    run.output = {
        "thumbnails": [
            {"headline": "BLACK HOLES", "passed": True, "contrast": 13.0, "cap_px_small": 14.0},
            {
                "headline": "WHY BLACK HOLES GLOW",
                "passed": True,
                "contrast": 9.5,
                "cap_px_small": 12.0,
            },
        ]
    }


async def test_the_page_shows_both_variants_and_picks_one(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser)
    video_id = await queue_video(owner_browser, channel_id)
    async with unit_of_work(sessions) as session:
        await _ready_with_variants(session, uuid.UUID(video_id))
    page = await owner_browser.get(f"/videos/{video_id}")
    assert page.status_code == 200
    html = page.text
    assert f"/api/v1/videos/{video_id}/media/thumbnail_b" in html
    assert "WHY BLACK HOLES GLOW" in html and "contrast 9.5:1" in html
    assert html.count(f'action="/videos/{video_id}/thumbnail"') == 1  # the other is picked

    refused = await owner_browser.http.post(f"/videos/{video_id}/thumbnail", data={"variant": "1"})
    assert refused.status_code in (400, 403)  # no CSRF token
    done = await owner_browser.submit(
        f"/videos/{video_id}/thumbnail", {"variant": "1"}, page=f"/videos/{video_id}"
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith("?notice=thumbnail_picked")
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.thumbnail_variant == 1
        video.status = VideoStatus.published
        await session.commit()
    after = (await owner_browser.get(f"/videos/{video_id}")).text
    assert f'action="/videos/{video_id}/thumbnail"' not in after  # uploaded: no more picking
    assert "Uploaded with variant B" in after
