from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import redis
from rq import Queue
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.service import record_cost
from backend.models import StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.settings import Settings
from tests.backend.conftest import Api
from tests.backend.videos.states import (
    REASONS,
    SCORE,
    SCRIPT,
    finish_production,
    hold_for_review,
    runs_of,
)


async def _set_status(
    db: async_sessionmaker[AsyncSession], video_id: str, **values: object
) -> None:
    async with db() as session:
        await session.execute(update(Video).where(Video.id == uuid.UUID(video_id)).values(**values))
        await session.commit()


async def test_create_video_is_queued(owner: Api) -> None:
    channel = await owner.create_channel()
    response = await owner.post(
        f"/api/v1/channels/{channel['id']}/videos", json={"topic": "  The   rings of Saturn "}
    )
    assert response.status_code == 201
    video = response.json()
    assert video["status"] == "queued" and video["topic"] == "The rings of Saturn"
    no_topic = await owner.post(f"/api/v1/channels/{channel['id']}/videos")
    assert no_topic.status_code == 201 and no_topic.json()["topic"] is None


async def test_bad_video_input(owner: Api) -> None:
    channel = await owner.create_channel()
    url = f"/api/v1/channels/{channel['id']}/videos"
    assert (await owner.post(url, json={"topic": "  "})).status_code == 422
    assert (await owner.post(url, json={"topic": "x" * 301})).status_code == 422
    assert (await owner.post(url, json={"title": "no such field"})).status_code == 422
    unknown = await owner.post(f"/api/v1/channels/{uuid.uuid4()}/videos", json={})
    assert unknown.status_code == 404
    assert (await owner.get("/api/v1/videos")).json()["items"] == []


async def test_paused_channel_takes_no_videos(owner: Api) -> None:
    channel = await owner.create_channel()
    await owner.patch(f"/api/v1/channels/{channel['id']}", json={"status": "paused"})
    response = await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "channel_paused"


async def test_list_filters_and_cursor_pagination(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    first = await owner.create_channel(name="First")
    second = await owner.create_channel(name="Second")
    ids = []
    for i in range(7):
        channel = first if i % 2 == 0 else second
        r = await owner.post(
            f"/api/v1/channels/{channel['id']}/videos", json={"topic": f"Topic {i}"}
        )
        ids.append(r.json()["id"])
    await _set_status(db, ids[0], status=VideoStatus.running, stage=VideoStage.voice)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await owner.get("/api/v1/videos", params=params)).json()
        seen += [v["id"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))

    by_channel = (await owner.get("/api/v1/videos", params={"channel_id": first["id"]})).json()
    assert len(by_channel["items"]) == 4
    running = (await owner.get("/api/v1/videos", params={"status": "running"})).json()
    assert [v["id"] for v in running["items"]] == [ids[0]]
    voice = (await owner.get("/api/v1/videos", params={"stage": "voice"})).json()
    assert [v["id"] for v in voice["items"]] == [ids[0]]

    bad = await owner.get("/api/v1/videos", params={"cursor": "garbage!!"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    assert (await owner.get("/api/v1/videos", params={"status": "nope"})).status_code == 422
    assert (await owner.get("/api/v1/videos", params={"limit": 0})).status_code == 422


async def test_detail_has_stage_runs_and_cost_breakdown(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    vid, cid = uuid.UUID(video["id"]), uuid.UUID(channel["id"])
    async with db() as session:
        session.add(
            StageRun(
                video_id=vid,
                stage=VideoStage.script,
                status=StageStatus.succeeded,
                attempts=1,
                device_seconds=2.5,
                cost_usd=Decimal("0.01"),
            )
        )
        session.add(
            StageRun(video_id=vid, stage=VideoStage.topic, status=StageStatus.succeeded, attempts=1)
        )
        for stage, kind, amount in [
            ("script", "text", "0.010"),
            ("voice", "speech", "0.020"),
            ("voice", "speech", "0.005"),
        ]:
            await record_cost(
                session,
                None,
                channel_id=cid,
                video_id=vid,
                stage=stage,
                kind=kind,
                provider="cpu",
                amount_usd=Decimal(amount),
                device_seconds=1.0,
            )
        await session.commit()
    detail = (await owner.get(f"/api/v1/videos/{video['id']}")).json()
    assert [s["stage"] for s in detail["stages"]] == ["topic", "script"]
    assert detail["cost"]["total_usd"] == 0.035
    assert {line["key"]: line["amount_usd"] for line in detail["cost"]["by_stage"]} == {
        "script": 0.01,
        "voice": 0.025,
    }
    assert detail["cost"]["by_kind"][0]["events"] in (1, 2)


async def test_status_machine(owner: Api, db: async_sessionmaker[AsyncSession]) -> None:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    url = f"/api/v1/videos/{video['id']}"

    # queued -> retry is impossible and changes nothing
    response = await owner.post(f"{url}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert response.json()["error"]["details"]["from"] == "queued"
    assert (await owner.get(url)).json()["status"] == "queued"

    await _set_status(db, video["id"], status=VideoStatus.failed, error="boom")
    retried = await owner.post(f"{url}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert retried.json()["error"] is None

    cancelled = await owner.post(f"{url}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert (await owner.post(f"{url}/cancel")).status_code == 409
    assert (await owner.get(url)).json()["status"] == "cancelled"
    # a cancelled video can be made again
    again = await owner.post(f"{url}/retry")
    assert again.status_code == 200 and again.json()["status"] == "queued"


async def test_published_video_cannot_be_cancelled(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    await _set_status(db, video["id"], status=VideoStatus.published)
    response = await owner.post(f"/api/v1/videos/{video['id']}/cancel")
    assert response.status_code == 409


async def test_other_users_videos_are_invisible(owner: Api, other: Api) -> None:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    for call in (
        other.get(f"/api/v1/videos/{video['id']}"),
        other.post(f"/api/v1/videos/{video['id']}/cancel"),
    ):
        response = await call
        assert response.status_code == 404 and response.json()["error"]["code"] == "video_not_found"
    assert (await other.get("/api/v1/videos")).json()["items"] == []
    listed = await other.get("/api/v1/videos", params={"channel_id": channel["id"]})
    assert listed.json()["items"] == []
    assert (await owner.get(f"/api/v1/videos/{video['id']}")).json()["status"] == "queued"


async def test_deleting_a_channel_cancels_its_open_videos(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    video = (await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={})).json()
    await owner.delete(f"/api/v1/channels/{channel['id']}")
    async with db() as session:
        status = await session.scalar(
            select(Video.status).where(Video.id == uuid.UUID(video["id"]))
        )
    assert status == VideoStatus.cancelled


# --- dead ends: discard, make again, resume -------------------------------------------


async def _video(
    owner: Api, topic: str = "Black holes", channel_id: str | None = None
) -> tuple[str, str]:
    cid = channel_id or (await owner.create_channel())["id"]
    video = (await owner.post(f"/api/v1/channels/{cid}/videos", json={"topic": topic})).json()
    return str(video["id"]), str(cid)


def _jobs(settings: Settings) -> set[str]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        ids: set[str] = set()
        for name in ("production", "gpu"):
            ids.update(Queue(name, connection=client).job_ids)
        return ids
    finally:
        client.close()


async def _apply(db: async_sessionmaker[AsyncSession], video_id: str, fn: Any, *args: Any) -> None:
    async with db() as session:
        await fn(session, uuid.UUID(video_id), *args)
        await session.commit()


async def test_ready_video_is_discarded_and_made_again_from_the_script(
    owner: Api, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    vid, _ = await _video(owner, "Why black holes glow")
    await _apply(db, vid, finish_production)
    url = f"/api/v1/videos/{vid}"
    assert (await owner.get(url)).json()["actions"] == ["discard"]  # not connected: no publish

    cancel = await owner.post(f"{url}/cancel")  # cancel is for work in flight
    assert cancel.status_code == 409 and cancel.json()["error"]["code"] == "invalid_transition"
    discarded = await owner.post(f"{url}/discard")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert (await owner.post(f"{url}/discard")).status_code == 409
    assert (await owner.get(url)).json()["actions"] == ["retry"]

    again = await owner.post(f"{url}/retry")
    assert again.status_code == 200 and again.json()["status"] == "queued"
    detail = (await owner.get(url)).json()
    assert detail["topic"] == "Why black holes glow"  # the topic is kept
    assert detail["script"] is None and detail["title"] is None and detail["tags"] == []
    assert detail["quality_score"] is None and detail["completed_at"] is None
    stages = {s["stage"]: s for s in detail["stages"]}
    assert stages["topic"]["status"] == "succeeded"
    for name in ("script", "quality", "voice", "images", "render", "thumbnail"):
        assert stages[name]["status"] == "pending" and stages[name]["artifacts"] == {}
    assert f"stage-{vid}-script-0" in _jobs(settings)  # a new video is actually produced


async def test_cancelled_video_resumes_at_its_first_unfinished_stage(
    owner: Api, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    vid, _ = await _video(owner)
    await _apply(db, vid, finish_production, VideoStatus.cancelled)
    async with db() as session:  # cancelled while the images stage ran
        runs = await runs_of(session, uuid.UUID(vid))
        for stage in (VideoStage.images, VideoStage.render, VideoStage.thumbnail):
            await session.delete(runs[stage])
        await session.commit()
    url = f"/api/v1/videos/{vid}"
    assert (await owner.get(url)).json()["actions"] == ["retry"]
    assert (await owner.post(f"{url}/retry")).json()["status"] == "queued"
    detail = (await owner.get(url)).json()
    assert [s["stage"] for s in detail["stages"]] == ["topic", "script", "quality", "voice"]
    assert all(s["status"] == "succeeded" for s in detail["stages"])  # finished work kept
    assert detail["script"] is not None
    assert f"stage-{vid}-images-0" in _jobs(settings)


async def test_video_cancelled_after_its_last_stage_is_finished_by_a_retry(
    owner: Api, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    vid, _ = await _video(owner)
    await _apply(db, vid, finish_production, VideoStatus.cancelled)
    assert (await owner.post(f"/api/v1/videos/{vid}/retry")).json()["status"] == "queued"
    stages = {s["stage"]: s for s in (await owner.get(f"/api/v1/videos/{vid}")).json()["stages"]}
    assert stages["thumbnail"]["status"] == "pending"  # not a video queued with nothing to do
    assert stages["render"]["status"] == "succeeded"
    assert f"stage-{vid}-thumbnail-1" in _jobs(settings)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_offered_action_is_allowed(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    """The buttons of the pages come from `actions`: none of them may be refused."""
    posts = {
        "retry": "retry",
        "cancel": "cancel",
        "discard": "discard",
        "approve": "approve",
        "regenerate": "regenerate",
    }
    expected = {
        VideoStatus.queued: ["cancel"],
        VideoStatus.running: ["cancel"],
        VideoStatus.needs_review: ["edit_script", "approve", "regenerate", "cancel"],
        VideoStatus.ready: ["discard"],  # not connected to YouTube: no publish (see blockers)
        VideoStatus.publishing: ["cancel"],
        VideoStatus.scheduled: [],
        VideoStatus.published: [],
        VideoStatus.failed: ["retry"],
        VideoStatus.cancelled: ["retry"],
        VideoStatus.discarded: ["retry"],
    }
    assert set(expected) == set(VideoStatus)
    channel_id = (await owner.create_channel())["id"]
    for status, actions in expected.items():
        offered: list[str | None] = [a for a in actions if a in posts]
        for action in offered or [None]:
            vid, _ = await _video(owner, channel_id=channel_id)
            if status == VideoStatus.needs_review:
                await _apply(db, vid, hold_for_review)
            else:
                await _apply(db, vid, finish_production, status)
            detail = (await owner.get(f"/api/v1/videos/{vid}")).json()
            assert detail["actions"] == actions, status
            if action is not None:
                response = await owner.post(f"/api/v1/videos/{vid}/{posts[action]}")
                assert response.status_code == 200, (status, action, response.text)
            for refused in set(posts) - set(actions):
                response = await owner.post(f"/api/v1/videos/{vid}/{posts[refused]}")
                if action is None:  # nothing changed the status: every other one is a 409
                    assert response.status_code == 409, (status, refused)


# --- needs_review: read, edit, approve, regenerate ------------------------------------

EDIT: dict[str, Any] = {
    "title": "How black holes light up the sky",
    "hook": "Nothing escapes a black hole, yet its surroundings are the brightest things we know.",
    "scenes": [
        {
            "narration": "Gas falls toward the hole and winds into a flat, spinning disk.",
            "image_prompt": "a glowing accretion disk around a black hole",
        },
        {
            "narration": "Rubbing layers of gas heat each other until they glow in X-rays.",
            "image_prompt": "x-ray telescope view of a bright disk",
        },
        {
            "narration": "The brightest of them, quasars, outshine a trillion suns at once.",
            "image_prompt": "a quasar outshining its galaxy",
        },
    ],
}


async def test_held_script_is_read_edited_and_approved(
    owner: Api, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    vid, _ = await _video(owner)
    await _apply(db, vid, hold_for_review)
    url = f"/api/v1/videos/{vid}"

    script = (await owner.get(f"{url}/script")).json()
    assert script["editable"] is True and script["title"] == SCRIPT["title"]
    assert script["quality_score"] == SCORE and script["quality_reasons"] == REASONS
    assert [s["narration"] for s in script["scenes"]] == [s["narration"] for s in SCRIPT["scenes"]]

    saved = await owner.put(f"{url}/script", json=EDIT)
    assert saved.status_code == 200, saved.text
    assert saved.json()["title"] == EDIT["title"] and saved.json()["words"] > 20
    assert saved.json()["description"] == SCRIPT["description"]  # kept as written
    detail = (await owner.get(url)).json()
    assert detail["status"] == "needs_review" and detail["title"] == EDIT["title"]
    assert detail["script"]["scenes"][1]["narration"] == EDIT["scenes"][1]["narration"]

    approved = await owner.post(f"{url}/approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    me = (await owner.get("/api/v1/users/me")).json()
    assert body["status"] == "queued" and body["approved_by"] == me["id"]
    assert body["approved_score"] == SCORE and body["approved_at"] is not None
    async with db() as session:
        runs = await runs_of(session, uuid.UUID(vid))
    # The voice, images and thumbnail read the script stage's output: the edited script.
    assert runs[VideoStage.script].status == StageStatus.succeeded
    assert (
        runs[VideoStage.script].output["script"]["scenes"][0]["narration"]
        == (EDIT["scenes"][0]["narration"])
    )
    quality = runs[VideoStage.quality]
    assert quality.status == StageStatus.succeeded
    assert quality.output["approved"]["by"] == me["id"]
    assert quality.output["approved"]["score"] == SCORE
    assert quality.output["approved"]["edited"] is True
    assert f"stage-{vid}-voice-0" in _jobs(settings)  # production continues at the voice

    assert (await owner.post(f"{url}/approve")).status_code == 409
    locked = await owner.put(f"{url}/script", json=EDIT)
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "script_locked"
    assert (await owner.get(f"{url}/script")).json()["editable"] is False


async def test_script_edits_are_validated(owner: Api, db: async_sessionmaker[AsyncSession]) -> None:
    vid, _ = await _video(owner)
    await _apply(db, vid, hold_for_review)
    url = f"/api/v1/videos/{vid}/script"

    def scenes(**change: str) -> list[dict[str, str]]:
        out: list[dict[str, str]] = [dict(s) for s in EDIT["scenes"]]
        out[0].update(change)
        return out

    bad: list[dict[str, Any]] = [
        {**EDIT, "title": "  "},
        {**EDIT, "title": "x" * 121},
        {**EDIT, "title": "Black\x00holes"},
        {**EDIT, "hook": "Short"},
        {**EDIT, "scenes": scenes(narration="Nul \x00 byte in the narration here")},
        {**EDIT, "scenes": scenes(narration="x" * 1201)},
        {**EDIT, "scenes": scenes(image_prompt="")},
        {**EDIT, "scenes": EDIT["scenes"][:2]},  # fewer than the minimum of 3
        {  # fewer than 20 words in all
            "title": EDIT["title"],
            "hook": "A short hook.",
            "scenes": [{**s, "narration": "Too few words."} for s in EDIT["scenes"]],
        },
        {**EDIT, "description": "not editable here"},
        {"title": EDIT["title"]},
    ]
    for body in bad:
        response = await owner.put(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    more = {**EDIT, "scenes": [*EDIT["scenes"], EDIT["scenes"][0]]}
    response = await owner.put(url, json=more)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "scene_count_mismatch"
    assert "3 scenes" in response.json()["error"]["message"]
    async with db() as session:  # nothing was stored
        video = await session.get(Video, uuid.UUID(vid))
        assert video is not None and video.script == SCRIPT


async def test_regenerate_writes_a_new_script_through_the_gate(
    owner: Api, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    vid, _ = await _video(owner)
    await _apply(db, vid, hold_for_review)
    response = await owner.post(f"/api/v1/videos/{vid}/regenerate")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    async with db() as session:
        runs = await runs_of(session, uuid.UUID(vid))
    assert runs[VideoStage.script].status == StageStatus.pending
    assert runs[VideoStage.quality].status == StageStatus.pending
    assert runs[VideoStage.quality].output["history"][-1]["reasons"] == REASONS  # feedback
    assert f"stage-{vid}-script-3" in _jobs(settings)
    assert (await owner.post(f"/api/v1/videos/{vid}/regenerate")).status_code == 409


async def test_review_on_a_paused_channel_offers_no_approval(
    owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    vid, cid = await _video(owner)
    await _apply(db, vid, hold_for_review)
    await owner.patch(f"/api/v1/channels/{cid}", json={"status": "paused"})
    assert (await owner.get(f"/api/v1/videos/{vid}")).json()["actions"] == [
        "edit_script",
        "cancel",
    ]
    response = await owner.post(f"/api/v1/videos/{vid}/approve")
    assert response.status_code == 409 and response.json()["error"]["code"] == "channel_paused"
    assert (await owner.put(f"/api/v1/videos/{vid}/script", json=EDIT)).status_code == 200


async def test_other_users_cannot_touch_review_or_discard(
    owner: Api, other: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    held, _ = await _video(owner)
    await _apply(db, held, hold_for_review)
    url = f"/api/v1/videos/{held}"
    for call in (
        other.get(f"{url}/script"),
        other.put(f"{url}/script", json=EDIT),
        other.post(f"{url}/approve"),
        other.post(f"{url}/regenerate"),
        other.post(f"{url}/discard"),
        other.post(f"{url}/retry"),
    ):
        response = await call
        assert response.status_code == 404 and response.json()["error"]["code"] == "video_not_found"
    detail = (await owner.get(url)).json()
    assert detail["status"] == "needs_review" and detail["script"] == SCRIPT
