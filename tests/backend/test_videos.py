from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.service import record_cost
from backend.models import StageRun, StageStatus, Video, VideoStage, VideoStatus
from tests.backend.conftest import Api


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
