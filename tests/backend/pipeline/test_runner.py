"""The stage runner in-process: typed video changes, time limits, the try cap, events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from PIL import Image
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.agents.script import Scene, Script
from backend.db.base import utcnow
from backend.db.session import commit
from backend.models import Channel, StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.pipeline import runner
from backend.pipeline.context import VideoChanges
from backend.pipeline.dispatch import reconcile
from backend.pipeline.limits import setting_name, stage_timeout
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.pipeline.steps import STEPS
from backend.pipeline.tasks import _run_stage
from backend.publishing.guardrails import NOT_CONNECTED
from backend.render.samples import make_scenes
from backend.settings import Settings, use_settings
from tests.backend.pipeline.conftest import events_of, make_channel, runs_of
from tests.backend.pipeline.events import OwnerEvents

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def _settings_reset() -> Iterator[None]:
    yield
    use_settings(None)


SCRIPT = Script(
    title="Why volcanoes build islands",
    hook="Some of the newest land on Earth is still cooling under the sea.",
    scenes=[
        Scene(
            narration=f"Scene {i}: magma rises through the crust and piles up into new rock.",
            image_prompt=f"volcanic island, scene {i}",
        )
        for i in range(1, 4)
    ],
    description="How hot spots and plate edges build volcanic islands over millions of years.",
    tags=["volcanoes", "islands", "geology"],
)


async def _video_at(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel: Channel,
    stage: VideoStage,
    status: VideoStatus = VideoStatus.running,
) -> uuid.UUID:
    """A video whose stages before ``stage`` are done, as the real steps record them."""
    video_id = uuid.uuid4()
    video_dir = settings.media_dir / str(video_id)
    (video_dir / "images").mkdir(parents=True)
    Image.new("RGB", (1920, 1080), (40, 90, 160)).save(video_dir / "images" / "scene_01.png")
    outputs: dict[VideoStage, dict[str, Any]] = {
        VideoStage.topic: {"topic": "volcanic islands", "source": "owner"},
        VideoStage.script: {"script": SCRIPT.model_dump(), "words": SCRIPT.word_count()},
        VideoStage.quality: {"score": 0.9, "history": [], "regenerations": 0},
    }
    async with db() as session:
        session.add(
            Video(
                id=video_id,
                channel_id=channel.id,
                topic="volcanic islands",
                title=SCRIPT.title,
                script=SCRIPT.model_dump(),
                status=status,
                stage=stage,
            )
        )
        await session.flush()
        for done in PRODUCTION_STAGES[: PRODUCTION_STAGES.index(stage)]:
            session.add(
                StageRun(
                    video_id=video_id,
                    stage=done,
                    status=StageStatus.succeeded,
                    attempts=1,
                    started_at=utcnow(),
                    finished_at=utcnow(),
                    output=outputs.get(done, {}),
                    artifacts={"image_01": "images/scene_01.png"}
                    if done == VideoStage.images
                    else {},
                )
            )
        await session.commit()
    return video_id


def test_video_changes_are_typed() -> None:
    with pytest.raises(TypeError):
        VideoChanges(titel="a misspelt field is an error, not a change dropped")  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        VideoChanges().title = "frozen"  # type: ignore[misc]
    video = Video(title="old", tags=["x"], description="kept")
    VideoChanges(title="new", tags=["a", "b"]).apply(video)
    assert (video.title, video.tags, video.description) == ("new", ["a", "b"], "kept")


@POSTGRES
async def test_thumbnail_stage_keeps_the_seo_package_at_ready(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    use_settings(settings)
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    with OwnerEvents(settings.redis_url, channel.owner_id) as heard:
        result = await _run_stage(video_id, VideoStage.thumbnail)
        await asyncio.sleep(0.3)
    assert result["outcome"] == "ready", result
    seo = (await runs_of(db, video_id))[VideoStage.thumbnail].output["seo"]
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.status == VideoStatus.ready
    assert video.title == seo["title"] and video.title
    assert video.description == seo["description"] and video.description
    assert video.tags == seo["tags"] and video.tags

    completed = heard.of("video.completed")
    assert [(e["video_id"], e["data"]["title"]) for e in completed] == [
        (str(video_id), seo["title"])
    ]
    stages = heard.of("video.stage")
    assert stages, heard.events
    for event in stages:
        assert {"status", "title", "quality_score", "detail", "stage_progress"} <= set(event)
    assert stages[-1]["status"] == "ready" and stages[-1]["title"] == seo["title"]
    assert stages[-1]["progress"] == 1.0


async def test_an_auto_publish_channel_sends_the_video_on_at_ready(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    """The runner hands a finished video to publishing; not connected, it is held (ready,
    with the reason and an event), never failed."""
    use_settings(settings)
    channel = await make_channel(db, settings, auto_publish=True, made_for_kids=False)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    with OwnerEvents(settings.redis_url, channel.owner_id) as heard:
        result = await _run_stage(video_id, VideoStage.thumbnail)
        await asyncio.sleep(0.3)
    assert result["outcome"] == "ready", result
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.status == VideoStatus.ready
    assert video.publish_holds[0] == NOT_CONNECTED  # (this fixture has no rendered file either)
    assert [e["video_id"] for e in heard.of("video.publish_held")] == [str(video_id)]


@POSTGRES
async def test_a_stage_past_its_time_limit_fails_after_max_attempts(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    slow = settings.model_copy(
        update={"thumbnail_timeout_seconds": 0.5, "stage_delay_seconds": "thumbnail=30"}
    )
    use_settings(slow)
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    outcomes = []
    for attempt in range(1, 4):
        started = asyncio.get_running_loop().time()
        outcomes.append((await _run_stage(video_id, VideoStage.thumbnail))["outcome"])
        assert asyncio.get_running_loop().time() - started < 5
        run = (await runs_of(db, video_id))[VideoStage.thumbnail]
        assert run.status == StageStatus.failed and run.attempts == attempt
        assert run.error == (
            f"attempt {attempt}/3: timed out after 0.5 s (YTE_THUMBNAIL_TIMEOUT_SECONDS)"
        )
    assert outcomes == ["retry", "retry", "failed"]
    # Each retry was enqueued as its own job, with RQ's limit above the stage's.
    jobs = Queue("production", connection=connection).get_jobs()
    assert [j.id for j in jobs] == [f"stage-{video_id}-thumbnail-{n}" for n in (1, 2)]
    assert all(j.timeout == 60 for j in jobs)
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.status == VideoStatus.failed
    assert video.error == (
        "thumbnail failed after 3 attempts: timed out after 0.5 s (YTE_THUMBNAIL_TIMEOUT_SECONDS)"
    )
    failed = [e for e in await events_of(db, channel.id) if e.type == "video.failed"]
    assert len(failed) == 1 and "timed out" in failed[0].message
    # A stray fourth job does not try again.
    assert (await _run_stage(video_id, VideoStage.thumbnail)) == {"skipped": "video is failed"}


@POSTGRES
async def test_reconciler_stops_at_the_try_cap(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    use_settings(settings)
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    async with db() as session:  # two tries whose workers died (running, no lease)
        session.add(
            StageRun(
                video_id=video_id,
                stage=VideoStage.thumbnail,
                status=StageStatus.running,
                attempts=2,
                tries=2,
            )
        )
        await session.commit()

    async def reconciled() -> list[str]:
        async with db() as session:
            jobs = await reconcile(session, connection, settings)
            await commit(session)
            return jobs

    assert await reconciled() == [f"stage-{video_id}-thumbnail-2"]  # the third try
    run = (await runs_of(db, video_id))[VideoStage.thumbnail]
    assert run.status == StageStatus.failed and "worker died" in (run.error or "")
    Queue("production", connection=connection).empty()
    async with db() as session:  # the third try's worker dies too
        stored = await session.get(StageRun, run.id)
        assert stored is not None
        stored.status, stored.attempts, stored.tries = StageStatus.running, 3, 3
        await session.commit()
    assert await reconciled() == []
    assert await reconciled() == []
    assert Queue("production", connection=connection).count == 0
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.status == VideoStatus.failed
    assert video.error is not None and video.error.startswith("thumbnail failed after 3 attempts")
    assert [e.type for e in await events_of(db, channel.id)] == ["video.failed"]


def test_default_timeouts_scale_with_length_and_hardware(tmp_path: Path) -> None:
    cpu = Settings(data_dir=tmp_path, ai_profile="cpu-only")
    one, three = (stage_timeout(cpu, VideoStage.script, m) for m in (1.0, 3.0))
    assert one == 360 and three == 600 and stage_timeout(cpu, VideoStage.render, 1.0) == 240
    gpu = Settings(data_dir=tmp_path, ai_profile="24gb")
    assert stage_timeout(gpu, VideoStage.script, 1.0) == 180
    assert stage_timeout(gpu, VideoStage.thumbnail, 1.0) == 60  # never below the floor
    fixed = Settings(data_dir=tmp_path, script_timeout_seconds=42)
    assert stage_timeout(fixed, VideoStage.script, 10.0) == 42
    assert setting_name(VideoStage.script) == "YTE_SCRIPT_TIMEOUT_SECONDS"


def test_a_bad_stage_delay_is_refused_in_plain_words(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, stage_delay_seconds="topic=2, script=0.5")
    with pytest.raises(ValueError, match="'scrip=1' is not stage=seconds"):
        Settings(data_dir=tmp_path, stage_delay_seconds="scrip=1")
    with pytest.raises(ValueError, match="'render=soon' is not stage=seconds"):
        Settings(data_dir=tmp_path, stage_delay_seconds="render=soon")


@POSTGRES
async def test_transient_errors_are_tries_too(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_settings(settings)
    calls: list[int] = []

    async def unreachable(_ctx: object) -> None:
        calls.append(1)
        raise ConnectionError("the gateway is down")

    monkeypatch.setattr(runner, "BACKOFF_S", (0.01,))
    monkeypatch.setitem(STEPS, VideoStage.thumbnail, unreachable)
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.thumbnail)
    result = await _run_stage(video_id, VideoStage.thumbnail)
    assert result["outcome"] == "failed" and len(calls) == 3  # three tries, each one ran
    run = (await runs_of(db, video_id))[VideoStage.thumbnail]
    assert run.attempts == 3 and run.status == StageStatus.failed
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.error == (
        "thumbnail failed after 3 attempts: ConnectionError: the gateway is down"
    )


@POSTGRES
async def test_a_render_past_its_limit_stops_its_encode(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    use_settings(settings.model_copy(update={"render_timeout_seconds": 3.0}))
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.render)
    video_dir = settings.media_dir / str(video_id)
    make_scenes(video_dir / "inputs", 3, 20.0)  # a minute of video: far more than 3 s to encode
    async with db() as session:
        runs = {r.stage: r for r in (await session.scalars(select(StageRun))).all()}
        runs[VideoStage.images].artifacts = {
            f"image_{i:02d}": f"inputs/scene_{i - 1:02d}.png" for i in (1, 2, 3)
        }
        runs[VideoStage.voice].artifacts = {
            f"voice_{i:02d}": f"inputs/scene_{i - 1:02d}.wav" for i in (1, 2, 3)
        }
        await session.commit()
    result = await _run_stage(video_id, VideoStage.render)
    assert result["outcome"] == "retry", result
    assert result["reason"] == "timed out after 3 s (YTE_RENDER_TIMEOUT_SECONDS)"
    deadline = asyncio.get_running_loop().time() + 5
    while _encoders(video_dir) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
    assert _encoders(video_dir) == [], "ffmpeg encodes on after the try was abandoned"
    assert not (video_dir / "video.mp4").exists()


def _encoders(video_dir: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in text and str(video_dir) in text:
            found.append(text[:200])
    return found
