"""The video pages' actions: buttons by the status machine, discard with a confirmation
step, make again, and the review of a held script (edit, approve, regenerate)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import StageStatus, Video, VideoStage, VideoStatus
from tests.backend.videos.states import REASONS, SCRIPT, finish_production, hold_for_review, runs_of
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel, queue_video


def _form(script: dict[str, Any], **changes: str) -> dict[str, str]:
    form = {"title": str(script["title"]), "hook": str(script["hook"])}
    scenes: list[dict[str, str]] = script["scenes"]
    for i, scene in enumerate(scenes, start=1):
        form[f"narration_{i}"] = scene["narration"]
        form[f"image_prompt_{i}"] = scene["image_prompt"]
    form.update(changes)
    return form


def _buttons(html: str, video_id: str) -> set[str]:
    """The action URLs offered for one video on a page."""
    return set(re.findall(rf'(?:action|href)="/videos/{video_id}/(\w+)', html))


async def _video_in(
    browser: Browser, sessions: async_sessionmaker[AsyncSession], fn: object, *args: object
) -> str:
    channel_id = await create_channel(browser)
    video_id = await queue_video(browser, channel_id)
    async with unit_of_work(sessions) as session:
        await fn(session, uuid.UUID(video_id), *args)  # type: ignore[operator]
    return video_id


async def test_ready_video_offers_discard_with_a_confirmation_step(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_in(owner_browser, sessions, finish_production)
    queue = await owner_browser.get("/queue")
    assert _buttons(queue.text, video_id) == {"discard"}  # no Cancel on a finished video
    page = await owner_browser.get(f"/videos/{video_id}")
    assert _buttons(page.text, video_id) == {"discard"}

    confirm = await owner_browser.get(f"/videos/{video_id}/discard?back=/queue")
    assert confirm.status_code == 200 and "Discard this video?" in confirm.text
    assert f'action="/videos/{video_id}/discard"' in confirm.text and "Keep it" in confirm.text
    async with sessions() as session:  # looking at the confirmation changes nothing
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.ready

    without_token = await owner_browser.http.post(f"/videos/{video_id}/discard")
    assert without_token.status_code == 403
    response = await owner_browser.submit(
        f"/videos/{video_id}/discard", {"back": "/queue"}, page=f"/videos/{video_id}/discard"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/queue?notice=video_discarded"
    queue = await owner_browser.get("/queue?status=discarded&notice=video_discarded")
    assert "Video discarded" in queue.text and "Make again" in queue.text
    assert _buttons(queue.text, video_id) == {"retry"}
    again = await owner_browser.get(f"/videos/{video_id}/discard")
    assert "Only a ready video can be discarded" in again.text

    response = await owner_browser.submit(f"/videos/{video_id}/retry", page="/queue")
    assert response.status_code == 303 and "notice=video_remade" in response.headers["location"]
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        runs = await runs_of(session, uuid.UUID(video_id))
    assert video is not None and video.status == VideoStatus.queued and video.script is None
    assert runs[VideoStage.script].status == StageStatus.pending


async def test_held_video_page_shows_reasons_and_saves_and_approves_edits(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_in(owner_browser, sessions, hold_for_review)
    url = f"/videos/{video_id}"
    page = await owner_browser.get(url)
    assert 'id="review"' in page.text and "0.62" in page.text
    assert all(reason in page.text for reason in REASONS)
    assert _buttons(page.text, video_id) == {"script", "approve", "regenerate", "cancel"}
    assert 'name="narration_3"' in page.text and 'name="image_prompt_1"' in page.text
    queue = await owner_browser.get("/queue")
    assert f'href="/videos/{video_id}#review"' in queue.text

    bad = await owner_browser.submit(
        f"{url}/script", _form(SCRIPT, narration_2="Too short", title="Nul\x00title"), page=url
    )
    assert bad.status_code in (400, 422)
    if bad.status_code == 400:  # the page names the fields in plain words
        assert "Narration of scene 2 needs at least 10 characters" in bad.text
        assert "Title must not contain control characters" in bad.text
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.script == SCRIPT  # nothing saved

    too_short = await owner_browser.submit(f"{url}/script", _form(SCRIPT, hook=""), page=url)
    assert too_short.status_code == 400 and "Hook must not be blank" in too_short.text
    assert "Nothing was saved" in too_short.text or "nothing was saved" in too_short.text

    edited = "Gas heated to millions of degrees glows brighter than whole galaxies."
    saved = await owner_browser.submit(f"{url}/script", _form(SCRIPT, narration_2=edited), page=url)
    assert saved.status_code == 303 and "notice=script_saved" in saved.headers["location"]
    page = await owner_browser.get(f"{url}?notice=script_saved")
    assert "Script saved" in page.text and edited in page.text

    approved = await owner_browser.submit(
        f"{url}/script", {**_form(SCRIPT, narration_2=edited), "then": "approve"}, page=url
    )
    assert approved.status_code == 303 and "notice=video_approved" in approved.headers["location"]
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        runs = await runs_of(session, uuid.UUID(video_id))
    assert video is not None and video.status == VideoStatus.queued
    assert video.approved_at is not None and video.approved_score == 0.62
    assert runs[VideoStage.script].output["script"]["scenes"][1]["narration"] == edited
    page = await owner_browser.get(url)
    assert 'id="review"' not in page.text and "Approved by you" in page.text
    assert _buttons(page.text, video_id) == {"cancel"}


async def test_regenerate_from_the_page(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_in(owner_browser, sessions, hold_for_review)
    url = f"/videos/{video_id}"
    response = await owner_browser.submit(f"{url}/regenerate", page=url)
    assert response.status_code == 303 and "video_regenerating" in response.headers["location"]
    again = await owner_browser.submit(f"{url}/regenerate", page=url)
    assert again.status_code == 409 and "Only a video waiting for review" in again.text


async def test_other_users_get_404_on_every_video_form(
    owner_browser: Browser, other_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    video_id = await _video_in(owner_browser, sessions, hold_for_review)
    url = f"/videos/{video_id}"
    assert (await other_browser.get(f"{url}/discard")).status_code == 404
    for action in ("script", "approve", "regenerate", "discard", "retry", "cancel"):
        response = await other_browser.submit(f"{url}/{action}", _form(SCRIPT), page="/queue")
        assert response.status_code == 404, action
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.needs_review
