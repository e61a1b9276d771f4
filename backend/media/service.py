"""Artifacts of a video, served to their owner by name; a client never names a path."""

from __future__ import annotations

import mimetypes
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import NotFound
from backend.videos import repository as video_repository

ARTIFACT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
mimetypes.add_type("text/plain", ".srt")


@dataclass(frozen=True, slots=True)
class MediaFile:
    path: Path
    media_type: str
    filename: str


async def artifacts(session: AsyncSession, video_id: uuid.UUID) -> dict[str, str]:
    merged: dict[str, str] = {}
    for run in await video_repository.stage_runs(session, video_id):
        merged.update(run.artifacts or {})
    return merged


async def resolve(
    session: AsyncSession, media_root: Path, video_id: uuid.UUID, name: str
) -> MediaFile:
    if not ARTIFACT_NAME.match(name):
        raise NotFound("artifact", name)
    relative = (await artifacts(session, video_id)).get(name)
    if relative is None:
        raise NotFound("artifact", name)
    base = (media_root / str(video_id)).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise NotFound("artifact", name)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return MediaFile(path, media_type, f"{video_id}-{path.name}")
