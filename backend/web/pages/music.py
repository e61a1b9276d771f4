"""A channel's own music tracks: upload (type and size checked) and remove, from the
channel page. The tracks are used instead of the built-in bed of the channel's mood."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import UploadFile

from backend.channels import service
from backend.deps import SessionDep, parse_uuid
from backend.errors import BadRequest
from backend.models import Channel
from backend.render import music
from backend.render.errors import RenderInputError
from backend.web.deps import Csrf, PageUser
from backend.web.routing import page_router, redirect

router = page_router()
CHUNK = 1024 * 1024


def music_root(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "music"


def music_summary(root: Path, channel: Channel) -> dict[str, Any]:
    """What the channel page shows: the mood, and the channel's own tracks (name, MB)."""
    style = channel.style_settings or {}
    mood = str(style.get("music_mood", "calm")) if style.get("music", True) else music.NO_MUSIC
    tracks = [
        {"name": p.name, "mb": round(p.stat().st_size / 1e6, 1)}
        for p in music.channel_tracks(root, str(channel.id))
    ]
    return {
        "mood": mood,
        "tracks": tracks,
        "accept": ",".join(sorted(music.TRACK_SUFFIXES)),
        "max_mb": music.MAX_TRACK_BYTES // (1024 * 1024),
    }


async def _read_bounded(upload: UploadFile) -> bytes:
    """The upload's bytes, refusing it as soon as it passes the size limit."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > music.MAX_TRACK_BYTES:
            raise BadRequest(
                f"{upload.filename or 'The file'} is over the "
                f"{music.MAX_TRACK_BYTES // (1024 * 1024)} MB limit; nothing was saved",
                code="track_too_large",
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post("/channels/{channel_id}/music", dependencies=[Csrf])
async def upload_track(
    request: Request, channel_id: str, user: PageUser, session: SessionDep
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    form = await request.form()
    upload = form.get("track")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadRequest("Choose an audio file to upload", code="track_missing")
    data = await _read_bounded(upload)
    try:
        await asyncio.to_thread(
            music.add_track, music_root(request), str(channel.id), upload.filename, data
        )
    except RenderInputError as exc:
        raise BadRequest(f"{exc}; nothing was saved", code="track_invalid") from exc
    return redirect(f"/channels/{channel.id}?notice=music_added#music")


@router.post("/channels/{channel_id}/music/delete", dependencies=[Csrf])
async def delete_track(
    request: Request, channel_id: str, user: PageUser, session: SessionDep
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    form = await request.form()
    name = form.get("name")
    if not isinstance(name, str) or not await asyncio.to_thread(
        music.remove_track, music_root(request), str(channel.id), name
    ):
        raise BadRequest("That track is not on this channel", code="track_missing")
    return redirect(f"/channels/{channel.id}?notice=music_removed#music")
