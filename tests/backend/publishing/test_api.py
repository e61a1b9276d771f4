"""The publishing API over the real app (PostgreSQL and SQLite, Redis) and the fake YouTube:
the OAuth client, connect/complete/disconnect, publish now or at a time, quota, /metrics,
the publishing fields of channels and videos, and another owner's 404s."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from fastapi import FastAPI
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import UploadSession, UploadStatus, Video, VideoStatus
from backend.publishing import repository
from backend.publishing.metrics import QUOTA_LEFT
from backend.publishing.quota import pacific_day
from backend.redis_client import sync_redis
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR, SECRET, Api
from tests.backend.videos.states import finish_production
from tests.fakes.youtube_server import CLIENT_ID, CLIENT_SECRET, PROJECT_ID, FakeYouTube

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path, fake: FakeYouTube) -> Settings:
    """The app's settings (backend conftest's `app`, `client`, `owner`), pointed at the fake."""
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        **fake.settings(),
    )


def db(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return factory


async def set_client(api: Api, fake: FakeYouTube) -> dict[str, Any]:
    import json

    response = await api.put("/api/v1/youtube/client", json=json.loads(fake.client_json()))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def consent_redirect(fake: FakeYouTube, consent_url: str) -> str:
    """The owner opens the consent address; the fake Google redirects with state and code."""
    answer = await asyncio.to_thread(
        requests.get, consent_url, allow_redirects=False, verify=str(fake.ca_path), timeout=10
    )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


async def connect(api: Api, fake: FakeYouTube, channel_id: str) -> dict[str, Any]:
    started = await api.post(f"/api/v1/channels/{channel_id}/youtube/connect")
    assert started.status_code == 200, started.text
    location = await consent_redirect(fake, started.json()["consent_url"])
    done = await api.post(
        f"/api/v1/channels/{channel_id}/youtube/complete", json={"code_or_redirect_url": location}
    )
    assert done.status_code == 200, done.text
    return dict(done.json())


async def ready_video(app: FastAPI, channel_id: str) -> str:
    """A video whose production finished (ready) with its rendered MP4 on disk."""
    async with db(app)() as session:
        video = Video(
            channel_id=uuid.UUID(channel_id),
            topic="Why Mars is red",
            status=VideoStatus.queued,
            tags=[],
            quality_reasons=[],
        )
        session.add(video)
        await session.flush()
        await finish_production(session, video.id)
        await session.commit()
        video_id = video.id
    settings: Settings = app.state.settings
    mp4 = settings.media_dir / str(video_id) / "render" / "video.mp4"
    mp4.parent.mkdir(parents=True, exist_ok=True)
    mp4.write_bytes(b"\x00" * 4096)
    return str(video_id)


def upload_jobs(settings: Settings, video_id: str, *, take: bool = False) -> list[str]:
    """The video's upload jobs waiting on the publishing queue (``take``: then empty it,
    as a worker that took them would)."""
    connection = sync_redis(settings)
    try:
        queue = Queue("publishing", connection=connection)
        jobs = [j for j in queue.job_ids if j.startswith(f"stage-{video_id}-upload-")]
        if take:
            queue.empty()
        return jobs
    finally:
        connection.close()


async def test_the_oauth_client_is_set_by_an_admin_and_its_secret_never_shown(
    client: httpx.AsyncClient, owner: Api, other: Api, fake: FakeYouTube
) -> None:
    import json

    before = await owner.get("/api/v1/youtube/client")
    assert before.status_code == 200
    assert before.json()["configured"] is False
    assert before.json()["redirect_uri"] == "http://127.0.0.1:8000/oauth/youtube/callback"

    body = json.loads(fake.client_json())
    refused = await other.put("/api/v1/youtube/client", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_required"
    bad = await owner.put("/api/v1/youtube/client", json={"other": {"client_id": "x"}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "youtube_client_invalid"
    unauthenticated = await client.get("/api/v1/youtube/client")
    assert unauthenticated.status_code == 401

    stored = await set_client(owner, fake)
    assert stored["configured"] is True
    assert stored["project_id"] == PROJECT_ID and stored["client_id"] == CLIENT_ID
    assert stored["redirect_uri_registered"] is True
    seen_by_member = await other.get("/api/v1/youtube/client")
    assert seen_by_member.json() == stored
    assert CLIENT_SECRET not in seen_by_member.text


async def test_connect_complete_and_disconnect_against_the_fake_google(
    app: FastAPI, owner: Api, fake: FakeYouTube
) -> None:
    channel = await owner.create_channel()
    base = f"/api/v1/channels/{channel['id']}/youtube"
    no_client = await owner.post(f"{base}/connect")
    assert no_client.status_code == 400
    assert no_client.json()["error"]["code"] == "youtube_client_missing"
    assert "ytempire youtube client set" in no_client.json()["error"]["message"]

    state = (await owner.get(base)).json()
    assert state["state"] == "not_connected" and state["youtube_channel_id"] is None

    await set_client(owner, fake)
    started = (await owner.post(f"{base}/connect")).json()
    assert started["consent_url"].startswith(fake.url + "o/oauth2/auth?")
    assert "code_challenge_method=S256" in started["consent_url"]
    expires = datetime.fromisoformat(started["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    location = await consent_redirect(fake, started["consent_url"])
    forged = location.replace("state=", "state=x")
    refused = await owner.post(f"{base}/complete", json={"code_or_redirect_url": forged})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "youtube_authorization_refused"
    assert "state mismatch" in refused.json()["error"]["message"]

    done = await owner.post(f"{base}/complete", json={"code_or_redirect_url": location})
    assert done.status_code == 200, done.text
    connected = done.json()
    assert connected["state"] == "connected"
    assert connected["youtube_channel_id"] == fake.channel["id"]
    assert connected["youtube_channel_title"] == fake.channel["title"]
    assert "https://www.googleapis.com/auth/youtube.upload" in connected["scopes"]
    assert (await owner.get(base)).json() == connected
    connection = sync_redis(app.state.settings)
    try:  # the 90-day analytics backfill is queued on connect
        jobs = Queue("publishing", connection=connection).job_ids
        assert f"analytics-backfill-{channel['id']}" in jobs
    finally:
        connection.close()
    shown = (await owner.get(f"/api/v1/channels/{channel['id']}")).json()
    assert shown["youtube_connection"] == "connected" and shown["youtube_connected"] is True
    assert shown["youtube_channel_id"] == fake.channel["id"]
    text = (await owner.get(base)).text
    assert "ya29." not in text and "1//" not in text  # no access or refresh token, ever

    gone = await owner.delete(base)
    assert gone.status_code == 200
    assert gone.json() == {
        "channel_id": channel["id"],
        "disconnected": True,
        "state": "not_connected",
    }
    assert len(fake.revoked) == 1  # revoked at Google
    async with db(app)() as session:
        assert await repository.get_credential(session, uuid.UUID(channel["id"])) is None
    assert (await owner.get(base)).json()["state"] == "not_connected"
    again = await owner.delete(base)
    assert again.status_code == 200 and again.json()["disconnected"] is False


async def test_a_bare_code_answers_the_channels_latest_consent(
    owner: Api, fake: FakeYouTube
) -> None:
    channel = await owner.create_channel()
    base = f"/api/v1/channels/{channel['id']}/youtube"
    await set_client(owner, fake)
    nothing = await owner.post(f"{base}/complete", json={"code_or_redirect_url": "4/nothing"})
    assert nothing.status_code == 400 and "No consent is waiting" in nothing.text
    started = (await owner.post(f"{base}/connect")).json()
    location = await consent_redirect(fake, started["consent_url"])
    code = requests.utils.unquote(location.split("code=")[1].split("&")[0])
    done = await owner.post(f"{base}/complete", json={"code_or_redirect_url": code})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "connected"
    empty = await owner.post(f"{base}/complete", json={"code_or_redirect_url": ""})
    assert empty.status_code == 422


async def test_another_owner_gets_404_on_every_publishing_route(
    app: FastAPI, owner: Api, other: Api, fake: FakeYouTube
) -> None:
    channel = await owner.create_channel(made_for_kids=False)
    await set_client(owner, fake)
    await connect(owner, fake, channel["id"])
    video_id = await ready_video(app, channel["id"])
    base = f"/api/v1/channels/{channel['id']}/youtube"
    probes = [
        await other.get(base),
        await other.post(f"{base}/connect"),
        await other.post(f"{base}/complete", json={"code_or_redirect_url": "4/x"}),
        await other.delete(base),
        await other.post(f"/api/v1/videos/{video_id}/publish", json={}),
    ]
    assert [p.status_code for p in probes] == [404] * 5
    assert [p.json()["error"]["code"] for p in probes] == ["channel_not_found"] * 4 + [
        "video_not_found"
    ]
    assert fake.revoked == []  # the owner's grant is untouched
    assert (await owner.get(base)).json()["state"] == "connected"
    assert (await owner.get(f"/api/v1/videos/{video_id}")).json()["status"] == "ready"
    malformed = await owner.get("/api/v1/channels/not-a-uuid/youtube")
    assert malformed.status_code == 404


async def test_publish_now_or_at_a_time_enqueues_the_upload(
    app: FastAPI, owner: Api, fake: FakeYouTube, settings: Settings
) -> None:
    channel = await owner.create_channel(made_for_kids=False, privacy="unlisted")
    await set_client(owner, fake)
    await connect(owner, fake, channel["id"])
    video_id = await ready_video(app, channel["id"])
    detail = (await owner.get(f"/api/v1/videos/{video_id}")).json()
    assert detail["publish_blockers"] == [] and "publish" in detail["actions"]
    url = f"/api/v1/videos/{video_id}/publish"

    naive = await owner.post(url, json={"at": "2030-01-01T10:00:00"})
    assert naive.status_code == 400 and naive.json()["error"]["code"] == "naive_publish_time"
    past = await owner.post(url, json={"at": "2020-01-01T10:00:00+00:00"})
    assert past.status_code == 400
    assert past.json()["error"]["code"] == "publish_time_out_of_range"
    junk = await owner.post(url, json={"at": "tomorrow"})
    assert junk.status_code == 422
    assert upload_jobs(settings, video_id) == []

    now = await owner.post(url)  # no body: now
    assert now.status_code == 202, now.text
    assert now.json()["status"] == "publishing" and now.json()["publish_at"] is None
    assert len(upload_jobs(settings, video_id, take=True)) == 1
    twice = await owner.post(url, json={})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "invalid_transition"

    assert (await owner.post(f"/api/v1/videos/{video_id}/cancel")).json()["status"] == "ready"
    at = (datetime.now(UTC) + timedelta(days=2)).astimezone().replace(microsecond=0)
    scheduled = await owner.post(url, json={"at": at.isoformat()})
    assert scheduled.status_code == 202, scheduled.text
    body = scheduled.json()
    assert body["status"] == "publishing"
    assert datetime.fromisoformat(body["publish_at"]) == at
    assert len(upload_jobs(settings, video_id)) == 1  # enqueued again
    shown = (await owner.get(f"/api/v1/videos/{video_id}")).json()
    assert datetime.fromisoformat(shown["publish_at"]) == at and shown["actions"] == ["cancel"]


async def test_publish_is_refused_with_every_reason_it_is_held(
    app: FastAPI, owner: Api, settings: Settings
) -> None:
    channel = await owner.create_channel()  # not connected, made_for_kids unset
    video_id = await ready_video(app, channel["id"])
    held = await owner.post(f"/api/v1/videos/{video_id}/publish", json={})
    assert held.status_code == 409
    error = held.json()["error"]
    assert error["code"] == "publish_held"
    reasons = error["details"]["reasons"]
    assert any("not connected to YouTube" in r for r in reasons)
    assert any("made for kids" in r for r in reasons)
    assert (await owner.get(f"/api/v1/videos/{video_id}")).json()["status"] == "ready"
    assert upload_jobs(settings, video_id) == []


async def test_channels_round_trip_made_for_kids_privacy_and_auto_publish(owner: Api) -> None:
    created = await owner.create_channel(made_for_kids=True, privacy="unlisted", auto_publish=True)
    assert (created["made_for_kids"], created["privacy"], created["auto_publish"]) == (
        True,
        "unlisted",
        True,
    )
    defaults = await owner.create_channel(name="Other")
    assert (defaults["made_for_kids"], defaults["privacy"], defaults["auto_publish"]) == (
        None,
        "private",
        False,
    )
    url = f"/api/v1/channels/{created['id']}"
    patched = await owner.patch(
        url, json={"made_for_kids": False, "privacy": "public", "auto_publish": False}
    )
    assert patched.status_code == 200, patched.text
    got = (await owner.get(url)).json()
    assert (got["made_for_kids"], got["privacy"], got["auto_publish"]) == (False, "public", False)
    assert got["youtube_connection"] == "not_connected"
    for bad in ({"made_for_kids": None}, {"privacy": "secret"}, {"auto_publish": "maybe"}):
        assert (await owner.patch(url, json=bad)).status_code == 422


async def test_videos_show_the_youtube_url_schedule_and_upload_status(
    app: FastAPI, owner: Api
) -> None:
    channel = await owner.create_channel(made_for_kids=False)
    video_id = await ready_video(app, channel["id"])
    slot = datetime(2031, 5, 1, 18, 0, tzinfo=UTC)
    async with db(app)() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None
        video.status = VideoStatus.scheduled
        video.youtube_video_id = "dQw4w9WgXcQ"
        video.publish_at = slot
        video.youtube_privacy = "private"
        session.add(
            UploadSession(
                video_id=video.id,
                channel_id=video.channel_id,
                status=UploadStatus.uploaded,
                file_path="render/video.mp4",
                file_size=4096,
                file_mtime_ns=1,
                confirmed_bytes=4096,
                youtube_video_id="dQw4w9WgXcQ",
                privacy_requested="private",
                privacy_reported="private",
                thumbnail_status="not_allowed",
                thumbnail_detail="the account cannot set custom thumbnails",
                caption_status="inserted",
            )
        )
        await session.commit()
    listed = (await owner.get("/api/v1/videos", params={"channel_id": channel["id"]})).json()
    item = next(v for v in listed["items"] if v["id"] == video_id)
    assert item["youtube_url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert item["status"] == "scheduled" and datetime.fromisoformat(item["publish_at"]) == slot
    detail = (await owner.get(f"/api/v1/videos/{video_id}")).json()
    assert detail["youtube_url"] == item["youtube_url"]
    assert detail["upload"]["status"] == "uploaded"
    assert detail["upload"]["confirmed_bytes"] == detail["upload"]["file_size"] == 4096
    assert detail["upload"]["thumbnail_status"] == "not_allowed"
    assert detail["upload"]["caption_status"] == "inserted"
    cancel = await owner.post(f"/api/v1/videos/{video_id}/cancel")
    assert cancel.status_code == 409 and cancel.json()["error"]["code"] == "already_published"


async def _spend(app: FastAPI, units: int, *, exhausted: bool = False) -> None:
    settings: Settings = app.state.settings
    day = pacific_day(datetime.now(UTC))
    async with db(app)() as session:
        await repository.ensure_quota_day(session, PROJECT_ID, day, settings.youtube_upload_quota)
        assert await repository.spend_quota(
            session, PROJECT_ID, day, units, settings.youtube_upload_quota
        )
        if exhausted:
            await repository.mark_quota_exhausted(session, PROJECT_ID, day)
        await session.commit()


async def test_quota_shows_todays_units_for_the_clients_project(
    app: FastAPI, owner: Api, other: Api, fake: FakeYouTube
) -> None:
    before = (await other.get("/api/v1/youtube/quota")).json()
    assert before["project_id"] is None
    assert (before["limit"], before["used"], before["left"]) == (10_000, 0, 10_000)
    await set_client(owner, fake)
    await _spend(app, 650)
    quota = (await other.get("/api/v1/youtube/quota")).json()
    assert quota["project_id"] == PROJECT_ID
    assert (quota["used"], quota["left"], quota["exhausted"]) == (650, 9_350, False)
    assert quota["day"] == pacific_day(datetime.now(UTC)).isoformat()
    resets = datetime.fromisoformat(quota["resets_at"])
    assert timedelta(0) < resets - datetime.now(UTC) <= timedelta(hours=25)
    await _spend(app, 100, exhausted=True)
    spent = (await other.get("/api/v1/youtube/quota")).json()
    assert (spent["used"], spent["left"], spent["exhausted"]) == (750, 0, True)


async def test_metrics_show_the_quota_left_in_a_process_that_uploaded_nothing(
    app: FastAPI, client: httpx.AsyncClient, owner: Api, fake: FakeYouTube
) -> None:
    await set_client(owner, fake)
    await _spend(app, 1_250)  # spent by "a worker": straight into the table, no gauge set
    QUOTA_LEFT.clear()
    body = (await client.get("/metrics")).text
    assert f'ytempire_youtube_quota_units_left{{project="{PROJECT_ID}"}} 8750.0' in body
    assert 'ytempire_youtube_upload_sessions{status="uploaded"} 0.0' in body
    assert "ytempire_youtube_upload_confirmed_bytes 0.0" in body
    assert "ytempire_youtube_upload_bytes_total" in body  # the in-process counters too
    assert "# TYPE ytempire_youtube_upload_retries_total counter" in body
