"""``ytempire video list|show|retry|cancel|discard|approve`` against the test database
(PostgreSQL and SQLite) and the test Redis, through the installed command."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.auth.service import create_user
from backend.models import Channel, StageStatus, Video, VideoStatus
from backend.models import VideoStage as Stage
from backend.settings import Settings
from tests.backend.conftest import SECRET
from tests.backend.videos.states import REASONS, finish_production, hold_for_review, runs_of

CLI = str(Path(sys.executable).with_name("ytempire"))


def _cli(settings: Settings, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "YTE_DATABASE_URL": settings.resolved_database_url,
        "YTE_REDIS_URL": settings.redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(settings.data_dir),
        "YTE_LOG_LEVEL": "WARNING",
        "COLUMNS": str(columns),
    }
    return subprocess.run(
        [CLI, "video", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


async def _videos(
    db: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[Channel, Video, Video, Video]:
    """A channel with a held video, a ready one and a queued one."""
    async with db() as session:
        user = await create_user(
            session, settings, email="owner@example.com", password="long enough password"
        )
        channel = Channel(owner_id=user.id, name="Space Facts " + "x" * 60, niche="space")
        session.add(channel)
        await session.flush()
        videos = []
        for topic in ("Held topic", "Ready topic", "Queued topic"):
            video = Video(
                channel_id=channel.id,
                topic=topic,
                status=VideoStatus.queued,
                tags=[],
                quality_reasons=[],
            )
            session.add(video)
            videos.append(video)
        await session.flush()
        await hold_for_review(session, videos[0].id)
        await finish_production(session, videos[1].id)
        await session.commit()
        return channel, videos[0], videos[1], videos[2]


async def test_video_commands(db: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    channel, held, ready, queued = await _videos(db, settings)

    listed = _ok(_cli(settings, "list"))
    assert all(len(line) <= 80 for line in listed.splitlines()), listed  # fits the terminal
    for video in (held, ready, queued):
        assert video.id.hex[:8] in listed
    assert "needs_review" in listed and "ready" in listed
    only_ready = _ok(_cli(settings, "list", "--status", "ready"))
    assert ready.id.hex[:8] in only_ready and held.id.hex[:8] not in only_ready
    assert held.id.hex[:8] in _ok(_cli(settings, "list", "--channel", str(channel.id)))
    assert "no videos match" in _ok(_cli(settings, "list", "--channel", str(uuid.uuid4())))
    bad_status = _cli(settings, "list", "--status", "nope")
    assert bad_status.returncode == 2 and "nope" in bad_status.stderr
    bad_channel = _cli(settings, "list", "--channel", "space")
    assert bad_channel.returncode == 1 and "not a channel id" in bad_channel.stderr

    shown = _ok(_cli(settings, "show", held.id.hex[:8], columns=120))
    assert str(held.id) in shown and "needs_review" in shown and "0.62" in shown
    assert all(reason in shown for reason in REASONS)
    assert "approve, regenerate" in shown  # the actions open now
    for stage in ("topic", "script", "quality"):
        assert stage in shown
    full = _ok(_cli(settings, "show", str(ready.id), columns=120))
    assert "thumbnail" in full and "succeeded" in full and "cost" in full

    unknown = _cli(settings, "show", uuid.uuid4().hex[:8])
    assert unknown.returncode == 1 and "video not found" in unknown.stderr
    garbage = _cli(settings, "retry", "not-an-id")
    assert garbage.returncode == 1 and "is not a video id" in garbage.stderr

    # the same rules as the API: a ready video is not cancelled, a queued one not retried
    refused = _cli(settings, "cancel", str(ready.id))
    assert refused.returncode == 1 and "A ready video cannot become cancelled" in refused.stderr
    assert "Traceback" not in refused.stderr
    not_held = _cli(settings, "approve", str(ready.id))
    assert not_held.returncode == 1 and "Only a video waiting for review" in not_held.stderr
    assert _cli(settings, "retry", str(queued.id)).returncode == 1

    assert "approved at a score of 0.62" in _ok(_cli(settings, "approve", str(held.id)))
    assert "discarded" in _ok(_cli(settings, "discard", str(ready.id)))
    assert "resumes at script" in _ok(_cli(settings, "retry", str(ready.id)))
    assert "cancelled" in _ok(_cli(settings, "cancel", str(queued.id)))

    async with db() as session:
        approved = await session.get(Video, held.id)
        remade = await session.get(Video, ready.id)
        cancelled = await session.get(Video, queued.id)
        held_runs = await runs_of(session, held.id)
        remade_runs = await runs_of(session, ready.id)
    assert approved is not None and approved.status == VideoStatus.queued
    assert approved.approved_by == channel.owner_id and approved.approved_score == 0.62
    assert held_runs[Stage.quality].status == StageStatus.succeeded
    assert remade is not None and remade.status == VideoStatus.queued and remade.script is None
    assert remade_runs[Stage.script].status == StageStatus.pending
    assert cancelled is not None and cancelled.status == VideoStatus.cancelled
    # the next stages were enqueued once the CLI's transaction committed
    client = redis.Redis.from_url(settings.redis_url)
    try:
        jobs = set(Queue("gpu", connection=client).job_ids)
    finally:
        client.close()
    assert {f"stage-{held.id}-voice-0", f"stage-{ready.id}-script-0"} <= jobs
