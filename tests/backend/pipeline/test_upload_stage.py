"""The upload stage: ready -> publishing -> published/scheduled against the fake YouTube over
real HTTPS, on real Postgres and Redis; real forking RQ workers for the happy paths and the
SIGKILLs, the stage's own entry point in-process where a controlled clock or a precise
interleaving is needed (quota reset, a grant revoked or a cancel in the middle of a chunk)."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from PIL import Image
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.agents.revenue_optimizer import RevenueOptimizer
from backend.agents.script import Scene, Script
from backend.db.base import utcnow
from backend.db.session import commit, unit_of_work
from backend.errors import Conflict
from backend.models import (
    Channel,
    ChannelStatus,
    ConnectionStatus,
    Privacy,
    StageRun,
    StageStatus,
    UploadSession,
    Video,
    VideoFormat,
    VideoStage,
    VideoStatus,
    YouTubeCredential,
)
from backend.pipeline.dispatch import PipelineDispatcher, ReconcilerDispatcher, reconcile, resume_at
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.pipeline.tasks import _run_upload
from backend.pipeline.upload import after_ready
from backend.publishing import service as publishing_service
from backend.publishing.clock import ManualClock
from backend.publishing.guardrails import MADE_FOR_KIDS_UNSET
from backend.publishing.metrics import UPLOADS
from backend.publishing.quota import QuotaLedger, next_reset
from backend.settings import Settings, use_settings
from backend.videos import service as videos_service
from tests.backend.pipeline.conftest import WorkerProcess, events_of, make_channel, wait_for
from tests.backend.pipeline.events import OwnerEvents
from tests.backend.publishing.conftest import connect
from tests.fakes.youtube_server import PROJECT_ID, FakeYouTube

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

MIB = 1024 * 1024
MP4_BYTES = 3 * MIB + 512 * 1024  # four 1 MiB chunks, the last one half full
SCRIPT = Script(
    title="Why Mars is red",
    hook="Mars looks like rust from a hundred million kilometres away.",
    scenes=[
        Scene(
            narration="Iron in the dust met traces of oxygen and slowly rusted. It took ages.",
            image_prompt="rusty martian dust",
        ),
        Scene(
            narration="Winds lift that fine dust into storms that can circle the planet.",
            image_prompt="dust storm",
        ),
        Scene(
            narration="The thin air scatters red light, so even the sky looks butterscotch.",
            image_prompt="martian sky",
        ),
        Scene(
            narration="Under the dust the rock is dark basalt, like volcanic islands on Earth.",
            image_prompt="basalt",
        ),
    ],
    description="Iron oxide, dust storms and a thin atmosphere.",
    tags=["mars", "space facts", "astronomy"],
)
INTRO_S = 3.0
CLIP_SECONDS = [14.0, 12.5, 15.0, 13.0]
DURATION_S = INTRO_S + sum(CLIP_SECONDS) + 3.0
SRT = "1\n00:00:03,000 --> 00:00:09,000\nMars looks like rust from far away.\n"


@pytest.fixture(autouse=True)
def _reset_settings() -> Iterator[None]:
    yield
    use_settings(None)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeYouTube]:
    with FakeYouTube(tmp_path / "fake-youtube") as server:
        yield server


def fake_env(fake: FakeYouTube) -> dict[str, str]:
    """The worker's settings: the fake's endpoints, 1 MiB chunks, short leases and backoff."""
    return {
        **fake.env(),
        "YTE_YOUTUBE_UPLOAD_CHUNK_MB": "1",
        "YTE_YOUTUBE_UPLOAD_BACKOFF_SECONDS": "0.01",
        "YTE_YOUTUBE_UPLOAD_MAX_BACKOFF_SECONDS": "0.05",
        "YTE_GOOGLE_HTTP_TIMEOUT_SECONDS": "10",
        "YTE_STAGE_LEASE_SECONDS": "3",
        "YTE_RECONCILE_INTERVAL_SECONDS": "5",
    }


@pytest.fixture
def up(settings: Settings, fake: FakeYouTube) -> Settings:
    """The test's settings pointed at the fake, installed for this process."""
    values = settings.model_dump()
    values.update(fake.settings())
    values.update(
        youtube_upload_chunk_mb=1,
        youtube_upload_backoff_seconds=0.01,
        youtube_upload_max_backoff_seconds=0.05,
        google_http_timeout_seconds=10,
        stage_lease_seconds=3,
    )
    configured = Settings(**values)
    use_settings(configured)
    return configured


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def connected_channel(
    db: async_sessionmaker[AsyncSession], up: Settings, fake: FakeYouTube, **fields: Any
) -> Channel:
    values: dict[str, Any] = {
        "niche": "science",
        "made_for_kids": False,
        "privacy": Privacy.public,
        "quality_threshold": 0.7,
    }
    values.update(fields)
    channel = await make_channel(db, up, **values)
    async with unit_of_work(db) as session:
        await publishing_service.set_client(session, up, fake.client_json())
    await connect(db, up, channel.id)
    return channel


async def ready_video(
    db: async_sessionmaker[AsyncSession],
    up: Settings,
    channel: Channel,
    *,
    quality: float = 0.9,
    size: int = MP4_BYTES,
) -> uuid.UUID:
    """A video as production leaves it at ``ready``: every stage's run and real files."""
    video_id = uuid.uuid4()
    video_dir = up.media_dir / str(video_id)
    (video_dir / "render").mkdir(parents=True)
    (video_dir / "render" / "video.mp4").write_bytes(uuid.uuid4().bytes * (size // 16))
    (video_dir / "render" / "video.srt").write_text(SRT)
    Image.new("RGB", (1280, 720), (160, 60, 30)).save(video_dir / "thumbnail.jpg", "JPEG")
    seo = RevenueOptimizer().optimize(
        SCRIPT,
        niche=channel.niche,
        fmt=VideoFormat.long,
        language="en",
        now=utcnow(),
        clip_seconds=CLIP_SECONDS,
        lead_in_s=INTRO_S,
    )
    outputs: dict[VideoStage, dict[str, Any]] = {
        VideoStage.topic: {"topic": "why mars is red"},
        VideoStage.script: {"script": SCRIPT.model_dump(), "words": SCRIPT.word_count()},
        VideoStage.quality: {"score": quality, "history": [], "regenerations": 0},
        VideoStage.render: {
            "duration_s": DURATION_S,
            "narration_s": sum(CLIP_SECONDS),
            "clip_seconds": CLIP_SECONDS,
            "intro_s": INTRO_S,
        },
        VideoStage.thumbnail: {"seo": seo.model_dump(mode="json")},
    }
    artifacts: dict[VideoStage, dict[str, str]] = {
        VideoStage.render: {"video": "render/video.mp4", "subtitles": "render/video.srt"},
        VideoStage.thumbnail: {"thumbnail": "thumbnail.jpg"},
    }
    async with db() as session:
        session.add(
            Video(
                id=video_id,
                channel_id=channel.id,
                topic="why mars is red",
                title=seo.title,
                description=seo.description,
                tags=list(seo.tags),
                script=SCRIPT.model_dump(),
                status=VideoStatus.ready,
                stage=VideoStage.thumbnail,
                stage_progress=1.0,
                quality_score=quality,
                completed_at=utcnow(),
            )
        )
        await session.flush()
        for stage in PRODUCTION_STAGES:
            session.add(
                StageRun(
                    video_id=video_id,
                    stage=stage,
                    status=StageStatus.succeeded,
                    attempts=1,
                    started_at=utcnow(),
                    finished_at=utcnow(),
                    output=outputs.get(stage, {}),
                    artifacts=artifacts.get(stage, {}),
                )
            )
        await session.commit()
    return video_id


def mp4(up: Settings, video_id: uuid.UUID) -> Path:
    return up.media_dir / str(video_id) / "render" / "video.mp4"


async def publish(
    db: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    connection: redis.Redis | None,
    **kw: Any,
) -> None:
    """What "Publish now" / "Schedule" does; with no connection the reconciler enqueues."""
    dispatcher = PipelineDispatcher(connection) if connection else ReconcilerDispatcher()
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await videos_service.publish(session, video, dispatcher=dispatcher, **kw)
        await commit(session)


async def video_of(db: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> Video:
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        return video


async def upload_run(db: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> StageRun:
    async with db() as session:
        run = await session.scalar(
            select(StageRun).where(
                StageRun.video_id == video_id, StageRun.stage == VideoStage.upload
            )
        )
        assert run is not None
        return run


async def upload_row(db: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> UploadSession:
    async with db() as session:
        row = await session.scalar(select(UploadSession).where(UploadSession.video_id == video_id))
        assert row is not None
        return row


async def reconciled(
    db: async_sessionmaker[AsyncSession], connection: redis.Redis, up: Settings, **kw: Any
) -> list[str]:
    async with db() as session:
        jobs = await reconcile(session, connection, up, **kw)
        await commit(session)
        return jobs


def published(video: Video, runs: dict[VideoStage, StageRun]) -> bool:
    return video.status in (VideoStatus.published, VideoStatus.scheduled, VideoStatus.failed)


async def until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def counted(outcome: str) -> float:
    return UPLOADS.labels(outcome=outcome)._value.get()


# -- after_ready: auto-publish ---------------------------------------------------------------
async def test_auto_publish_sends_a_ready_video_to_the_publishing_queue(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake, auto_publish=True)
    manual = await make_channel(db, up, niche="science", made_for_kids=False)  # no auto
    video_id = await ready_video(db, up, channel)
    untouched = await ready_video(db, up, manual)
    for vid in (video_id, untouched):
        async with db() as session:
            video = await session.get(Video, vid)
            assert video is not None
            owner = await session.get(Channel, video.channel_id)
            assert owner is not None
            await after_ready(session, connection, video, owner)
            await commit(session)
    assert (await video_of(db, video_id)).status == VideoStatus.publishing
    assert (await video_of(db, untouched)).status == VideoStatus.ready
    assert Queue("publishing", connection=connection).job_ids == [f"stage-{video_id}-upload-0"]
    run = await upload_run(db, video_id)
    assert (run.status, run.tries) == (StageStatus.pending, 0)


@pytest.mark.parametrize("ahead", [timedelta(hours=5), timedelta(minutes=-30)])
async def test_auto_publish_schedules_at_the_slot_while_it_is_ahead(
    ahead: timedelta,
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
) -> None:
    """An autopilot video carries its slot: scheduled there, or now once the slot passed."""
    channel = await connected_channel(db, up, fake, auto_publish=True)
    video_id = await ready_video(db, up, channel)
    slot = (utcnow() + ahead).replace(microsecond=0)
    async with db() as session:
        video = await session.get(Video, video_id)
        owner = await session.get(Channel, channel.id)
        assert video is not None and owner is not None
        video.publish_at = slot
        await after_ready(session, connection, video, owner)
        await commit(session)
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.publishing
    assert video.publish_at == (slot if ahead > timedelta(0) else None)


@pytest.mark.parametrize("problem", ["made_for_kids_unset", "quality_under_bar"])
async def test_auto_publish_holds_a_video_the_guardrails_stop(
    problem: str,
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
) -> None:
    fields: dict[str, Any] = {"auto_publish": True}
    if problem == "made_for_kids_unset":
        fields["made_for_kids"] = None
    channel = await connected_channel(db, up, fake, **fields)
    video_id = await ready_video(
        db, up, channel, quality=0.5 if problem != "made_for_kids_unset" else 0.9
    )
    async with db() as session:
        video = await session.get(Video, video_id)
        fresh = await session.get(Channel, channel.id)
        assert video is not None and fresh is not None
        await after_ready(session, connection, video, fresh)
        await commit(session)
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.ready
    if problem == "made_for_kids_unset":
        assert video.publish_holds == [MADE_FOR_KIDS_UNSET]
    else:
        assert video.publish_holds == [
            "its quality 0.50 is under the channel's bar 0.70 and nobody approved it"
        ]
    assert Queue("publishing", connection=connection).count == 0
    (held,) = [e for e in await events_of(db, channel.id) if e.type == "video.publish_held"]
    assert held.severity == "warning" and held.data["reasons"] == video.publish_holds
    assert held.video_id == video_id


# -- real workers ----------------------------------------------------------------------------
async def test_publish_now_through_a_worker(
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    with OwnerEvents(up.redis_url, channel.owner_id) as heard:
        await publish(db, video_id, connection)
        workers.append(WorkerProcess(up, tmp_path / "worker.log", **fake_env(fake)))
        video = await wait_for(db, video_id, published, timeout_s=60)
        await asyncio.sleep(0.5)
    assert video.status == VideoStatus.published, video.error
    (yt,) = fake.videos.values()
    assert yt.sha256() == sha(mp4(up, video_id)) and yt.size == MP4_BYTES
    assert video.youtube_video_id == yt.resource["id"]
    assert video.youtube_privacy == "public" and video.publish_warning is None
    assert video.published_at is not None and video.stage_progress == 1.0

    # the metadata: revenue_optimizer's package, chapters from the measured narration
    snippet, status = yt.resource["snippet"], yt.resource["status"]
    assert snippet["title"] == video.title and snippet["tags"] == video.tags
    assert snippet["categoryId"] == "27"  # science -> science_education -> Education
    assert snippet["defaultLanguage"] == snippet["defaultAudioLanguage"] == "en"
    assert status["selfDeclaredMadeForKids"] is False
    assert status["containsSyntheticMedia"] is True and status["privacyStatus"] == "public"
    chapters = [line for line in snippet["description"].splitlines() if line[:1].isdigit()]
    # the first scene starts 9.3 s in (under YouTube's 10 s minimum): it opens the video
    assert chapters == [
        "0:00 Iron in the dust met traces of oxygen and slowly rusted.",
        "0:17 Winds lift that fine dust into storms that can circle the planet.",
        "0:29 The thin air scatters red light, so even the sky looks butterscotch.",
        "0:44 Under the dust the rock is dark basalt, like volcanic islands on Earth.",
    ]
    assert snippet["description"].startswith(SCRIPT.hook)

    # thumbnail and captions, each its own step
    thumbnail = up.media_dir / str(video_id) / "thumbnail.jpg"
    assert fake.thumbnails[yt.resource["id"]] == thumbnail.read_bytes()
    (caption,) = fake.captions[yt.resource["id"]]
    assert caption["_text"] == SRT and caption["snippet"]["language"] == "en"

    run = await upload_run(db, video_id)
    assert run.status == StageStatus.succeeded and run.attempts == 1 and run.tries == 0
    assert run.output["url"] == f"https://www.youtube.com/watch?v={yt.resource['id']}"
    assert run.output["thumbnail"] == "set" and run.output["captions"] == "inserted"
    assert run.output["bytes_sent"] == MP4_BYTES and run.output["resumed"] is False

    (event,) = [e for e in await events_of(db, channel.id) if e.type == "video.published"]
    assert event.severity == "info" and run.output["url"] in event.message
    assert event.data["youtube_video_id"] == yt.resource["id"]
    assert [e["type"] for e in heard.events if e["type"] != "video.stage"] == ["video.published"]
    uploads = [e for e in heard.of("video.stage") if e["stage"] == "upload"]
    assert uploads and uploads[-1]["status"] == "published"
    assert any(0 < e["stage_progress"] < 1 and "MB uploaded" in e["detail"] for e in uploads)


async def test_schedule_then_the_reconciler_publishes_at_the_slot(
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await connected_channel(db, up, fake, privacy=Privacy.unlisted)
    video_id = await ready_video(db, up, channel)
    at = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    await publish(db, video_id, connection, at=at)
    workers.append(WorkerProcess(up, tmp_path / "worker.log", **fake_env(fake)))
    video = await wait_for(db, video_id, published, timeout_s=60)
    assert video.status == VideoStatus.scheduled, video.error
    assert video.publish_at == at and video.published_at is None
    (yt,) = fake.videos.values()
    assert yt.resource["status"]["privacyStatus"] == "private"
    assert yt.resource["status"]["publishAt"] == at.isoformat().replace("+00:00", "Z")
    (event,) = [e for e in await events_of(db, channel.id) if e.type == "video.published"]
    assert event.data["scheduled"] is True and event.data["publish_at"] == at.isoformat()

    assert await reconciled(db, connection, up, now=at - timedelta(seconds=1)) == []
    assert (await video_of(db, video_id)).status == VideoStatus.scheduled
    await reconciled(db, connection, up, now=at + timedelta(seconds=1))
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.published
    assert video.published_at == at and video.youtube_privacy == "public"
    assert len(fake.videos) == 1


async def test_sigkill_mid_upload_resumes_the_same_session(
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    hold = fake.hold(at_byte=2 * MIB)  # the third chunk: two are confirmed and recorded
    await publish(db, video_id, connection)
    first = WorkerProcess(up, tmp_path / "worker1.log", **fake_env(fake))
    workers.append(first)
    await until(hold.reached.is_set, 60, "the upload to reach 2 MiB")
    first.kill()
    hold.release.set()

    row = await upload_row(db, video_id)
    assert row.session_uri and row.youtube_video_id is None
    assert row.confirmed_bytes == 2 * MIB
    assert (await video_of(db, video_id)).status == VideoStatus.publishing
    puts = len(fake.requests("PUT"))

    workers.append(WorkerProcess(up, tmp_path / "worker2.log", **fake_env(fake)))
    video = await wait_for(db, video_id, published, timeout_s=90)
    assert video.status == VideoStatus.published, video.error
    # the new worker asked the recorded session where it stood, then went on from there
    status_query = fake.requests("PUT")[puts]
    assert row.session_uri.endswith(status_query[1].split("?", 1)[1])
    assert status_query[2]["content-range"] == f"bytes */{MP4_BYTES}"
    assert len(fake.sessions) == 1 and len(fake.videos) == 1
    (yt,) = fake.videos.values()
    assert yt.sha256() == sha(mp4(up, video_id))
    assert fake.wire_bytes - MP4_BYTES <= MIB  # at most the chunk in flight went twice
    run = await upload_run(db, video_id)
    assert run.attempts == 2 and run.output["resumed"] is True
    assert run.output["sessions_started"] == 1
    assert video.youtube_video_id == yt.resource["id"]


async def test_sigkill_after_the_last_chunk_was_accepted_leaves_one_video(
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    hold = fake.hold(final=True)
    await publish(db, video_id, connection)
    first = WorkerProcess(up, tmp_path / "worker1.log", **fake_env(fake))
    workers.append(first)
    await until(hold.reached.is_set, 60, "the last chunk")
    first.kill()
    hold.release.set()
    assert len(fake.videos) == 1  # YouTube has it; we have no id yet
    row = await upload_row(db, video_id)
    assert row.youtube_video_id is None and row.final_chunk_sent
    wire = fake.wire_bytes

    workers.append(WorkerProcess(up, tmp_path / "worker2.log", **fake_env(fake)))
    video = await wait_for(db, video_id, published, timeout_s=90)
    assert video.status == VideoStatus.published, video.error
    (yt,) = fake.videos.values()
    assert video.youtube_video_id == yt.resource["id"] and len(fake.sessions) == 1
    assert fake.wire_bytes == wire  # the status query returned the video: no byte resent
    assert yt.sha256() == sha(mp4(up, video_id))


# -- in-process: a controlled clock, precise interleavings -----------------------------------
async def test_quota_at_its_limit_waits_for_the_pacific_reset(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    clock = ManualClock(next_reset(utcnow()) - timedelta(hours=1))  # 23:00 in Los Angeles
    ledger = QuotaLedger(
        db, project_id=PROJECT_ID, daily_units=up.youtube_upload_quota, clock=clock
    )
    assert await ledger.try_spend(up.youtube_upload_quota - 50)  # videos.insert needs 100
    await publish(db, video_id, None)

    result = await _run_upload(video_id, settings=up, clock=clock)
    assert result["outcome"] == "quota_wait"
    run = await upload_run(db, video_id)
    assert run.status == StageStatus.pending and run.tries == 0
    assert resume_at(run) == next_reset(clock.now())
    assert (await video_of(db, video_id)).status == VideoStatus.publishing
    assert fake.sessions == {}  # nothing was sent

    assert await reconciled(db, connection, up, now=clock.now()) == []  # not before the reset
    clock.advance(3600 + 5)
    assert await reconciled(db, connection, up, now=clock.now()) == [f"stage-{video_id}-upload-1"]
    Queue("publishing", connection=connection).empty()  # this test runs the try itself
    result = await _run_upload(video_id, settings=up, clock=clock)
    assert result["outcome"] == "published", result
    (yt,) = fake.videos.values()
    assert yt.sha256() == sha(mp4(up, video_id))
    run = await upload_run(db, video_id)
    assert run.attempts == 2 and resume_at(run) is None
    assert await ledger.remaining() == up.youtube_upload_quota - 100 - 50 - 50 - 400


async def test_revoked_grant_holds_the_video_until_reconnected_then_resumes(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    hold = fake.hold(at_byte=MIB)
    task = asyncio.create_task(_run_upload(video_id, settings=up))
    await until(hold.reached.is_set, 30, "the second chunk")
    fake.revoke_grant()  # the owner revoked access in their Google account
    hold.release.set()
    result = await asyncio.wait_for(task, 30)

    assert result["outcome"] == "held"
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.ready and video.error is None
    assert len(video.publish_holds) == 1 and "reconnect" in video.publish_holds[0]
    async with db() as session:
        credential = await session.scalar(
            select(YouTubeCredential).where(YouTubeCredential.channel_id == channel.id)
        )
        assert credential is not None and credential.status == ConnectionStatus.needs_reconnect
    events = {e.type: e for e in await events_of(db, channel.id)}
    assert events["video.publish_held"].severity == "error"
    assert events["channel.needs_reconnect"].severity == "error"
    assert "video.publish_failed" not in events
    row = await upload_row(db, video_id)
    assert row.session_uri and row.confirmed_bytes == 2 * MIB  # the held chunk was answered
    with pytest.raises(Conflict) as refused:  # publishing again says why, at once
        await publish(db, video_id, None)
    assert refused.value.code == "publish_held"

    await connect(db, up, channel.id)
    await publish(db, video_id, None)
    result = await _run_upload(video_id, settings=up)
    assert result["outcome"] == "published" and result["resumed"] is True
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.published and video.publish_holds == []
    assert len(fake.sessions) == 1 and len(fake.videos) == 1
    (yt,) = fake.videos.values()
    assert yt.sha256() == sha(mp4(up, video_id))


async def test_cancel_mid_upload_stops_at_the_next_chunk_and_a_later_publish_resumes(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    hold = fake.hold(at_byte=MIB)
    task = asyncio.create_task(_run_upload(video_id, settings=up))
    await until(hold.reached.is_set, 30, "the second chunk")
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await videos_service.cancel(session, video)
        await commit(session)
    hold.release.set()
    result = await asyncio.wait_for(task, 30)
    assert result["outcome"] == "cancelled"
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.ready and video.stage == VideoStage.thumbnail
    row = await upload_row(db, video_id)
    assert row.confirmed_bytes == 2 * MIB and fake.videos == {}
    assert len(fake.requests("PUT")) == 2  # no chunk after the one in flight

    await publish(db, video_id, None)
    result = await _run_upload(video_id, settings=up)
    assert result["outcome"] == "published" and result["resumed"] is True
    assert len(fake.sessions) == 1 and len(fake.videos) == 1


async def test_guardrails_checked_again_when_the_upload_starts(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    async with db() as session:  # paused after the owner pressed Publish
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        fresh.status, fresh.pause_reason = ChannelStatus.paused, "over budget"
        await session.commit()
    result = await _run_upload(video_id, settings=up)
    assert result == {"held": ["the channel is paused (over budget)"]}
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.ready
    assert video.publish_holds == ["the channel is paused (over budget)"]
    run = await upload_run(db, video_id)
    assert run.status == StageStatus.pending and run.tries == 0
    assert fake.sessions == {}
    (held,) = [e for e in await events_of(db, channel.id) if e.type == "video.publish_held"]
    assert held.severity == "warning"


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (403, "forbidden", "The request is not properly authorized to upload this video."),
        (
            400,
            "invalidCategoryId",
            "The snippet.categoryId property specifies an invalid category.",
        ),
    ],
)
async def test_youtube_refusal_fails_the_video_with_its_reason_and_retry_goes_again(
    status: int,
    reason: str,
    message: str,
    up: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    fake: FakeYouTube,
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    fake.fail_next("initiate", status, reason, message=message)
    result = await _run_upload(video_id, settings=up)
    assert result["outcome"] == "failed"
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.failed and video.stage == VideoStage.upload
    assert video.error is not None and reason in video.error and message in video.error
    (failed,) = [e for e in await events_of(db, channel.id) if e.type == "video.publish_failed"]
    assert failed.severity == "error" and message in failed.message
    assert "retry" in videos_service.actions(video, True, True)

    async with db() as session:
        fresh = await session.get(Video, video_id)
        assert fresh is not None
        await videos_service.retry(session, fresh, dispatcher=ReconcilerDispatcher())
        await commit(session)
    assert (await video_of(db, video_id)).status == VideoStatus.publishing
    result = await _run_upload(video_id, settings=up)
    assert result["outcome"] == "published", result
    assert len(fake.videos) == 1


async def test_transient_failures_retry_after_a_backoff_then_fail_the_video(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    strict = Settings(
        **{
            **up.model_dump(),
            "youtube_upload_max_retries": 0,
            "youtube_upload_max_backoff_seconds": 600,
            "stage_max_attempts": 2,
        }
    )
    use_settings(strict)
    channel = await connected_channel(db, strict, fake)
    video_id = await ready_video(db, strict, channel)
    await publish(db, video_id, None)
    for _ in range(2):
        fake.fail_next("initiate", 503, "backendError")

    result = await _run_upload(video_id, settings=strict)
    assert result["outcome"] == "retry" and result["in_s"] == 600
    run = await upload_run(db, video_id)
    assert run.status == StageStatus.failed and run.tries == 1
    assert run.error is not None and run.error.startswith("attempt 1/2:")
    assert (await video_of(db, video_id)).status == VideoStatus.publishing
    waiting = resume_at(run)
    assert waiting is not None
    assert await reconciled(db, connection, strict, now=waiting - timedelta(seconds=5)) == []
    assert await reconciled(db, connection, strict, now=waiting + timedelta(seconds=1)) == [
        f"stage-{video_id}-upload-1"
    ]
    Queue("publishing", connection=connection).empty()
    assert await _run_upload(video_id, settings=strict) == {"waiting": waiting.isoformat()}

    later = ManualClock(waiting + timedelta(seconds=1))  # the time the reconciler saw
    result = await _run_upload(video_id, settings=strict, clock=later)
    assert result["outcome"] == "failed"
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.failed and video.stage == VideoStage.upload
    assert video.error is not None and "failed after 2 attempts" in video.error
    assert "backendError" in video.error
    assert [e.type for e in await events_of(db, channel.id)].count("video.publish_failed") == 1
    assert fake.videos == {}


async def test_reconciler_fails_an_upload_whose_workers_kept_dying(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    assert await reconciled(db, connection, up) == [f"stage-{video_id}-upload-0"]
    assert await reconciled(db, connection, up) == []  # waiting already: not twice
    async with db() as session:  # as a worker killed on its last try leaves it
        run = await session.scalar(
            select(StageRun).where(
                StageRun.video_id == video_id, StageRun.stage == VideoStage.upload
            )
        )
        assert run is not None
        run.status, run.tries, run.attempts = StageStatus.running, up.stage_max_attempts, 3
        await session.commit()
    assert await reconciled(db, connection, up) == []
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.failed and video.stage == VideoStage.upload
    assert video.error is not None and "failed after 3 attempts" in video.error


async def test_privacy_forced_private_publishes_with_a_warning(
    up: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, fake: FakeYouTube
) -> None:
    fake.force_private = True  # an unverified Google Cloud project
    channel = await connected_channel(db, up, fake)
    video_id = await ready_video(db, up, channel)
    await publish(db, video_id, None)
    before = counted("published")
    result = await _run_upload(video_id, settings=up)
    assert result["outcome"] == "published"
    assert counted("published") == before + 1
    video = await video_of(db, video_id)
    assert video.status == VideoStatus.published and video.youtube_privacy == "private"
    assert video.publish_warning is not None and "unverified" in video.publish_warning
    (event,) = [e for e in await events_of(db, channel.id) if e.type == "video.published"]
    assert event.severity == "warning" and event.data["warning"] == video.publish_warning
