"""Media retention: published videos past their channel's retention lose their
intermediates (stills, voice, word timings, temporaries), keep the MP4/SRT/thumbnail unless
prune_mp4, get media_pruned_at, and the bytes freed are counted; dry runs delete nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from backend.auth.service import create_user
from backend.cli.main import app as cli_app
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.media.retention import last_prune, prune
from backend.models import Channel, StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.settings import Settings, use_settings

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
KEPT = ("video.mp4", "video.srt", "thumbnail.jpg")
INTERMEDIATE = (
    "images/scene_01.png",
    "images/scene_02.png",
    "voice/scene_01.wav",
    "voice/scene_01.words.json",
    ".video.abc123/caption_0001.png",  # a killed render's work dir
    ".thumbnail.jpg.tmp",
)


def lay_out(video_dir: Path) -> dict[str, int]:
    sizes = {}
    for i, name in enumerate((*KEPT, *INTERMEDIATE), start=1):
        path = video_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (1000 * i))
        sizes[name] = 1000 * i
    return sizes


async def make(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    retention: int | None = 7,
    prune_mp4: bool = False,
    published_days_ago: float = 10,
    status: VideoStatus = VideoStatus.published,
) -> tuple[uuid.UUID, dict[str, int]]:
    async with unit_of_work(db) as session:
        user = await create_user(
            session,
            settings,
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            password="long enough password",
        )
        channel = Channel(
            owner_id=user.id,
            name="Science Bites",
            niche="science",
            media_retention_days=retention,
            prune_mp4=prune_mp4,
        )
        session.add(channel)
        await session.flush()
        video = Video(
            channel_id=channel.id,
            topic="volcanoes",
            status=status,
            published_at=utcnow() - timedelta(days=published_days_ago),
        )
        session.add(video)
        await session.flush()
        artifacts: dict[VideoStage, dict[str, Any]] = {
            VideoStage.images: {
                "image_01": "images/scene_01.png",
                "image_02": "images/scene_02.png",
            },
            VideoStage.voice: {
                "voice_01": "voice/scene_01.wav",
                "voice_words_01": "voice/scene_01.words.json",
            },
            VideoStage.render: {"video": "video.mp4", "subtitles": "video.srt"},
            VideoStage.thumbnail: {"thumbnail": "thumbnail.jpg"},
        }
        for stage, names in artifacts.items():
            session.add(
                StageRun(
                    video_id=video.id, stage=stage, status=StageStatus.succeeded, artifacts=names
                )
            )
        video_id = video.id
    return video_id, lay_out(settings.media_dir / str(video_id))


def files(video_dir: Path) -> set[str]:
    return {p.relative_to(video_dir).as_posix() for p in video_dir.rglob("*") if p.is_file()}


@POSTGRES
async def test_intermediates_of_old_published_videos_go_the_rest_stays(
    settings: Settings, db: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    old, sizes = await make(db, settings)
    recent, _ = await make(db, settings, published_days_ago=3)
    forever, _ = await make(db, settings, retention=None, published_days_ago=400)
    ready, _ = await make(db, settings, status=VideoStatus.ready)

    async with unit_of_work(db) as session:
        dry = await prune(session, settings.media_dir, dry_run=True)
    assert [v.video_id for v in dry.videos] == [old]
    assert dry.bytes == sum(sizes[n] for n in INTERMEDIATE) and dry.files == len(INTERMEDIATE)
    assert files(settings.media_dir / str(old)) == set(sizes)  # nothing deleted
    async with db() as session:
        video = await session.get(Video, old)
        assert video is not None and video.media_pruned_at is None

    connection = redis.Redis.from_url(redis_url)
    async with unit_of_work(db) as session:
        report = await prune(session, settings.media_dir, connection=connection)
    assert report.summary() | {"dry_run": None} == {
        "dry_run": None,
        "videos": 1,
        "files": len(INTERMEDIATE),
        "bytes": sum(sizes[n] for n in INTERMEDIATE),
        "skipped": 0,
    }
    video_dir = settings.media_dir / str(old)
    assert files(video_dir) == set(KEPT)
    assert not (video_dir / "images").exists() and not (video_dir / ".video.abc123").exists()
    for untouched in (recent, forever, ready):
        assert files(settings.media_dir / str(untouched)) == set(sizes)
    async with db() as session:
        video = await session.get(Video, old)
        assert video is not None and video.media_pruned_at is not None
    recorded = last_prune(connection)
    assert recorded is not None and recorded["bytes"] == report.bytes
    connection.close()

    async with unit_of_work(db) as session:  # once pruned, not again
        assert (await prune(session, settings.media_dir)).videos == []


@POSTGRES
async def test_prune_mp4_takes_the_mp4_too_and_a_short_in_production_holds_it(
    settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    video_id, _ = await make(db, settings, prune_mp4=True)
    async with unit_of_work(db) as session:
        parent = await session.get(Video, video_id)
        assert parent is not None
        short = Video(
            channel_id=parent.channel_id,
            topic="volcanoes",
            status=VideoStatus.running,
            parent_video_id=video_id,
        )
        session.add(short)
        await session.flush()
        short_id = short.id
    async with unit_of_work(db) as session:
        held = await prune(session, settings.media_dir)
    assert held.videos == [] and held.skipped == {str(video_id): "a Short is being made from it"}

    async with unit_of_work(db) as session:
        found = await session.get(Video, short_id)
        assert found is not None
        found.status = VideoStatus.ready
    async with unit_of_work(db) as session:
        report = await prune(session, settings.media_dir)
    assert [v.video_id for v in report.videos] == [video_id]
    assert files(settings.media_dir / str(video_id)) == {"video.srt", "thumbnail.jpg"}


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)


@POSTGRES
async def test_media_prune_cli(settings: Settings, db: async_sessionmaker[AsyncSession]) -> None:
    video_id, _ = await make(db, settings)
    use_settings(settings)
    try:
        dry = await asyncio.to_thread(_cli, "media", "prune", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert str(video_id) in dry.output and "would free" in dry.output
        assert "media disk:" in dry.output and "GB free" in dry.output
        assert (settings.media_dir / str(video_id) / "images").exists()
        real = await asyncio.to_thread(_cli, "media", "prune")
        assert real.exit_code == 0 and "1 video(s), 6 file(s): freed" in real.output
        assert not (settings.media_dir / str(video_id) / "images").exists()
    finally:
        use_settings(None)
