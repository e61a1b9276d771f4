"""Media retention: the intermediates of published videos go after the channel's
``media_retention_days``; the MP4 too only with the channel's ``prune_mp4``.

A video's media dir (``<media>/<video id>/``) holds what its stages wrote:
``images/scene_NN.png`` (images), ``voice/scene_NN.wav`` and any ``*.words.json`` word
timings (voice), ``video.mp4`` + ``video.srt`` (render), ``thumbnail*.jpg`` (thumbnail),
and while a stage runs, hidden temporary files and folders (``.name.tmp``, the renderer's
``.video.*`` work dir). Intermediates are the images, voice files, word timings and
leftover temporaries; the MP4, SRT and thumbnails are kept, and so is anything this module
does not know. A video a Short is still being made from is left alone (the Short may need
its stills). Each pruned video gets ``videos.media_pruned_at``; the bytes freed are
returned, logged, counted (``ytempire_media_pruned_bytes_total``) and kept in Redis for
the System page.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.jobs.runtime import job_context, run_job
from backend.models import Channel, StageRun, Video, VideoStatus

log = structlog.get_logger(__name__)

PRUNED_BYTES = Counter("ytempire_media_pruned_bytes_total", "Bytes freed by media pruning")
PRUNED_VIDEOS = Counter("ytempire_media_pruned_videos_total", "Videos whose media was pruned")
LAST_PRUNE_KEY = "ytempire:media:last_prune"

INTERMEDIATE_DIRS = ("images", "voice")
OPEN_STATUSES = (VideoStatus.queued, VideoStatus.running, VideoStatus.needs_review)
PUBLISHED = (VideoStatus.published,)


@dataclass(frozen=True, slots=True)
class PrunedVideo:
    video_id: uuid.UUID
    files: int
    bytes: int


@dataclass
class PruneReport:
    dry_run: bool
    videos: list[PrunedVideo] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # video id -> why

    @property
    def bytes(self) -> int:
        return sum(v.bytes for v in self.videos)

    @property
    def files(self) -> int:
        return sum(v.files for v in self.videos)

    def summary(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "videos": len(self.videos),
            "files": self.files,
            "bytes": self.bytes,
            "skipped": len(self.skipped),
        }


def _intermediate(relative: Path, prune_mp4: bool) -> bool:
    top = relative.parts[0]
    return (
        top.startswith(".")  # temporaries a killed stage left behind
        or top in INTERMEDIATE_DIRS
        or relative.name.endswith((".words.json", ".tmp"))
        or (prune_mp4 and relative.suffix == ".mp4")
    )


def prunable(video_dir: Path, keep: set[Path], prune_mp4: bool) -> list[Path]:
    """The files of one video's dir to delete; ``keep`` are the kept artifacts' paths (an
    MP4 among them goes too with ``prune_mp4``)."""
    if not video_dir.is_dir():
        return []
    found = []
    for path in sorted(video_dir.rglob("*")):
        if path.is_dir() or not _intermediate(path.relative_to(video_dir), prune_mp4):
            continue
        if path.resolve() in keep and not (prune_mp4 and path.suffix == ".mp4"):
            continue
        found.append(path)
    return found


def _remove_empty_dirs(video_dir: Path) -> None:
    for path in sorted(video_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


async def _kept(session: AsyncSession, video: Video, video_dir: Path) -> set[Path]:
    """The artifacts that stay: the MP4, SRT and thumbnails (never intermediates)."""
    runs = await session.scalars(select(StageRun).where(StageRun.video_id == video.id))
    keep: set[Path] = set()
    for run in runs:
        for name, relative in (run.artifacts or {}).items():
            if name.startswith(("image_", "voice_", "words_")):
                continue
            keep.add((video_dir / str(relative)).resolve())
    return keep


async def candidates(session: AsyncSession, now: datetime) -> list[tuple[Video, Channel]]:
    rows = await session.execute(
        select(Video, Channel)
        .join(Channel, Channel.id == Video.channel_id)
        .where(
            Channel.media_retention_days.is_not(None),
            Video.status.in_(PUBLISHED),
            Video.published_at.is_not(None),
        )
        .order_by(Video.published_at)
    )
    due = []
    for video, channel in rows.tuples():
        assert channel.media_retention_days is not None and video.published_at is not None
        if video.published_at > now - timedelta(days=channel.media_retention_days):
            continue
        if video.media_pruned_at is not None and not channel.prune_mp4:
            continue
        due.append((video, channel))
    return due


async def _short_in_production(session: AsyncSession, video_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Video.id)
        .where(Video.parent_video_id == video_id, Video.status.in_(OPEN_STATUSES))
        .limit(1)
    )
    return found is not None


async def prune(
    session: AsyncSession,
    media_dir: Path,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    connection: redis.Redis | None = None,
) -> PruneReport:
    """Prune every due video's intermediates (the caller commits ``media_pruned_at``)."""
    now = now or utcnow()
    report = PruneReport(dry_run=dry_run)
    for video, channel in await candidates(session, now):
        if await _short_in_production(session, video.id):
            report.skipped[str(video.id)] = "a Short is being made from it"
            continue
        video_dir = media_dir / str(video.id)
        keep = await _kept(session, video, video_dir)
        entries = prunable(video_dir, keep, channel.prune_mp4)
        if not entries and video.media_pruned_at is not None:
            continue
        size = 0
        for path in entries:
            size += path.lstat().st_size
            if not dry_run:
                path.unlink(missing_ok=True)
        if not dry_run:
            _remove_empty_dirs(video_dir)
            video.media_pruned_at = now
        report.videos.append(PrunedVideo(video.id, len(entries), size))
    if not dry_run:
        await session.flush()
        PRUNED_BYTES.inc(report.bytes)
        PRUNED_VIDEOS.inc(len(report.videos))
        if connection is not None:
            record = {**report.summary(), "at": now.isoformat()}
            connection.set(LAST_PRUNE_KEY, json.dumps(record))
    log.info("media.prune", **report.summary())
    return report


def last_prune(connection: redis.Redis) -> dict[str, Any] | None:
    """The last real prune's summary (videos, files, bytes, at), if one ran."""
    raw = connection.get(LAST_PRUNE_KEY)
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def prune_job(dry_run: bool = False) -> dict[str, Any]:
    """The recurring prune (``media-prune``): a module-level job, importable by path."""

    async def _prune() -> dict[str, Any]:
        async with job_context() as ctx, unit_of_work(ctx.sessions) as session:
            report = await prune(
                session, ctx.settings.media_dir, dry_run=dry_run, connection=ctx.redis
            )
        return report.summary()

    return run_job(_prune())
