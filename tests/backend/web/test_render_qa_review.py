"""A video held by render QA: the video page shows each check's reason and times; approve
keeps the render (the last stage runs again and the video becomes ready), regenerate
renders it again."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import StageStatus, Video, VideoStage, VideoStatus
from tests.backend.videos.states import finish_production, runs_of
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel, queue_video

FAILED_QA = {
    "passed": False,
    "seconds": 3.2,
    "checks": [
        {
            "name": "black_frames",
            "passed": False,
            "reason": "black picture at 12.0 to 14.5 s",
            "times": [[12.0, 14.5]],
            "value": None,
        },
        {
            "name": "loudness",
            "passed": True,
            "reason": "integrated loudness -14.1 LUFS (target -14 ± 1)",
            "times": [],
            "value": -14.1,
        },
    ],
}


async def held_by_render_qa(session: AsyncSession, video_id: uuid.UUID) -> None:
    video = await finish_production(session, video_id, VideoStatus.needs_review)
    video.render_qa = FAILED_QA
    video.quality_reasons = ["render QA, black_frames: black picture at 12.0 to 14.5 s"]
    await session.flush()


async def _held(browser: Browser, sessions: async_sessionmaker[AsyncSession]) -> str:
    channel_id = await create_channel(browser)
    video_id = await queue_video(browser, channel_id)
    async with unit_of_work(sessions) as session:
        await held_by_render_qa(session, uuid.UUID(video_id))
    return video_id


async def test_page_shows_the_failed_check_and_approve_keeps_the_render(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _held(owner_browser, sessions)
    url = f"/videos/{video_id}"
    page = await owner_browser.get(url)
    assert page.status_code == 200
    assert 'id="render-qa"' in page.text and "Held for review" in page.text
    assert "black picture at 12.0 to 14.5 s" in page.text and "12.0\u201314.5 s" in page.text

    response = await owner_browser.submit(f"{url}/approve", page=url)
    assert response.status_code == 303
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        runs = await runs_of(session, uuid.UUID(video_id))
    assert video is not None and video.status == VideoStatus.queued
    assert video.render_qa is not None and video.render_qa["approved"]["by"]
    assert runs[VideoStage.thumbnail].status == StageStatus.pending  # runs again, then ready
    assert runs[VideoStage.render].status == StageStatus.succeeded  # the render is kept
    page = await owner_browser.get(url)
    assert "Failed checks approved" in page.text


async def test_regenerate_renders_again(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _held(owner_browser, sessions)
    url = f"/videos/{video_id}"
    response = await owner_browser.submit(f"{url}/regenerate", page=url)
    assert response.status_code == 303
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        runs = await runs_of(session, uuid.UUID(video_id))
    assert video is not None and video.status == VideoStatus.queued and video.render_qa is None
    assert runs[VideoStage.render].status == StageStatus.pending
    assert runs[VideoStage.thumbnail].status == StageStatus.pending
    assert runs[VideoStage.script].status == StageStatus.succeeded  # the script is kept
