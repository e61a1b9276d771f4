"""The production pipeline on the CPU models, on real RQ workers over real Redis and Postgres."""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.costs.service import record_cost
from backend.db.session import commit
from backend.models import Channel, ChannelStatus, StageStatus, VideoStage, VideoStatus
from backend.pipeline.dispatch import PipelineDispatcher
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.render import probe
from backend.settings import Settings
from backend.videos import service as video_service
from backend.videos.schemas import VideoCreate
from tests.backend.pipeline.conftest import (
    WorkerProcess,
    events_of,
    make_channel,
    runs_of,
    wait_for,
)
from tests.backend.pipeline.events import OwnerEvents

pytestmark = pytest.mark.slow
POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def queue_video(
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    channel: Channel,
    topic: str | None = None,
) -> uuid.UUID:
    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        video = await video_service.create(
            session, fresh, VideoCreate(topic=topic), dispatcher=PipelineDispatcher(connection)
        )
        await commit(session)
        return video.id


def finished(video, runs) -> bool:  # type: ignore[no-untyped-def]
    return video.status in (VideoStatus.ready, VideoStatus.failed, VideoStatus.needs_review)


@POSTGRES
async def test_full_pipeline_produces_a_verified_mp4(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    # The quality gate has its own test; here a lenient threshold keeps the run about plumbing.
    channel = await make_channel(db, settings, quality_threshold=0.3)
    with OwnerEvents(settings.redis_url, channel.owner_id) as heard:
        video_id = await queue_video(db, connection, channel)  # no topic: trend_prophet picks
        workers.append(WorkerProcess(settings, tmp_path / "worker.log"))
        video = await wait_for(db, video_id, finished, timeout_s=900)
        await asyncio.sleep(0.5)
    assert video.status == VideoStatus.ready, (video.error, video.quality_reasons)
    assert video.topic and video.title and video.quality_score is not None

    # The SEO package the thumbnail stage computed is what the ready video carries.
    seo = (await runs_of(db, video_id))[VideoStage.thumbnail].output["seo"]
    assert (video.title, video.description, video.tags) == (
        seo["title"],
        seo["description"],
        seo["tags"],
    )
    assert video.description and video.tags

    # Live progress: long stages say how far they are while they run.
    stage_events = heard.of("video.stage")
    details = {e["stage"]: [] for e in stage_events}  # type: ignore[var-annotated]
    for event in stage_events:
        assert event["video_id"] == str(video_id) and event["status"] in ("running", "ready")
        details[event["stage"]].append(event["detail"] or "")
    assert any(re.fullmatch(r"\d+ words written.*", d) for d in details["script"]), details
    assert any(re.fullmatch(r"frame \d+/\d+", d) for d in details["render"]), details
    assert any(e["title"] == seo["title"] for e in stage_events)
    assert any(e["quality_score"] == video.quality_score for e in stage_events)
    completed = heard.of("video.completed")
    assert [e["data"]["title"] for e in completed] == [seo["title"]]

    runs = await runs_of(db, video_id)
    assert [s for s in PRODUCTION_STAGES if runs[s].status == StageStatus.succeeded] == list(
        PRODUCTION_STAGES
    )
    for run in runs.values():
        assert run.duration_s is not None and run.started_at and run.finished_at
    render = runs[VideoStage.render]
    mp4 = settings.media_dir / str(video_id) / render.artifacts["video"]
    info = probe(mp4)
    assert (info.width, info.height) == (1920, 1080)
    assert info.video is not None and info.video.codec == "h264"
    assert info.audio is not None and info.audio.codec == "aac"
    cards = render.output["duration_s"] - render.output["narration_s"]
    assert abs(info.duration_s - (render.output["narration_s"] + cards)) < 0.5
    assert abs(info.duration_s - render.output["duration_s"]) < 0.5
    assert (settings.media_dir / str(video_id) / render.artifacts["subtitles"]).stat().st_size > 0
    assert (settings.media_dir / str(video_id) / "thumbnail.jpg").exists()

    # Cost events roll up: every stage that called a model left ledger lines.
    assert render.device_seconds > 0
    assert runs[VideoStage.voice].device_seconds > 0
    events = await events_of(db, channel.id)
    assert [e.type for e in events if e.video_id == video_id] == ["video.completed"]


@POSTGRES
async def test_sigkill_mid_render_loses_only_that_stage(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await make_channel(db, settings, quality_threshold=0.3)
    video_id = await queue_video(db, connection, channel, topic="How volcanoes form islands")
    env = {"YTE_STAGE_LEASE_SECONDS": "3", "YTE_RECONCILE_INTERVAL_SECONDS": "5"}
    first = WorkerProcess(settings, tmp_path / "worker1.log", **env)
    workers.append(first)

    def rendering(video, runs) -> bool:  # type: ignore[no-untyped-def]
        run = runs.get(VideoStage.render)
        return run is not None and run.status == StageStatus.running

    await wait_for(db, video_id, rendering, timeout_s=900, poll_s=0.1)
    before = await runs_of(db, video_id)
    video_dir = settings.media_dir / str(video_id)
    files = {p: p.stat().st_mtime_ns for p in video_dir.rglob("*") if p.is_file()}
    first.kill()

    workers.append(WorkerProcess(settings, tmp_path / "worker2.log", **env))
    video = await wait_for(db, video_id, finished, timeout_s=600)
    assert video.status == VideoStatus.ready, video.error
    after = await runs_of(db, video_id)
    for stage in PRODUCTION_STAGES[: PRODUCTION_STAGES.index(VideoStage.render)]:
        assert after[stage].attempts == before[stage].attempts == 1, stage
        assert after[stage].finished_at == before[stage].finished_at, stage
    assert after[VideoStage.render].attempts == 2
    for path, mtime in files.items():
        if not path.name.startswith(".") and path.parent.name in ("voice", "images"):
            assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten"


@POSTGRES
async def test_quality_gate_regenerates_then_holds_for_review(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    # No script can reach a threshold of 1.0: two regenerations, then needs_review.
    channel = await make_channel(db, settings, quality_threshold=1.0)
    with OwnerEvents(settings.redis_url, channel.owner_id) as heard:
        video_id = await queue_video(db, connection, channel, topic="Why the sky is blue")
        workers.append(WorkerProcess(settings, tmp_path / "worker.log"))
        video = await wait_for(db, video_id, finished, timeout_s=900)
        await asyncio.sleep(0.5)
    assert video.status == VideoStatus.needs_review
    review = [e for e in await events_of(db, channel.id) if e.type == "video.needs_review"]
    assert len(review) == 1 and review[0].severity == "warning"
    assert review[0].data == {
        "video_id": str(video_id),
        "title": video.title,
        "score": video.quality_score,
        "reasons": video.quality_reasons,
    }
    assert [e["data"]["reasons"] for e in heard.of("video.needs_review")] == [video.quality_reasons]
    assert video.quality_reasons and video.quality_score is not None and video.quality_score < 1
    runs = await runs_of(db, video_id)
    assert runs[VideoStage.script].attempts == 3
    assert runs[VideoStage.quality].attempts == 3
    assert len(runs[VideoStage.quality].output["history"]) == 3
    assert VideoStage.voice not in runs  # nothing was spent past the gate


async def test_over_budget_channel_gets_no_new_work(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    channel = await make_channel(db, settings, daily_budget_usd=Decimal("0.01"))
    video_id = await queue_video(db, connection, channel, topic="Deep sea vents")
    async with db() as session:  # spent past the budget before the worker gets to it
        await record_cost(
            session,
            None,
            channel_id=channel.id,
            amount_usd=Decimal("0.02"),
            kind="text",
            provider="cloud:gpt",
        )
        await session.commit()
    workers.append(WorkerProcess(settings, tmp_path / "worker.log"))

    for _ in range(240):
        async with db() as session:
            fresh = await session.get(Channel, channel.id)
        if fresh is not None and fresh.status == ChannelStatus.paused:
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)
    video = await wait_for(db, video_id, lambda v, r: True, timeout_s=5)
    assert fresh is not None and fresh.status == ChannelStatus.paused
    assert video.status == VideoStatus.queued
    assert await runs_of(db, video_id) == {}
    events = await events_of(db, channel.id)
    assert {"cost.alert", "channel.paused"} <= {e.type for e in events}
