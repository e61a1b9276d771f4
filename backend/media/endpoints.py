from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from backend.deps import CurrentUser, SessionDep, SettingsDep, parse_uuid
from backend.media import service
from backend.videos import service as video_service

router = APIRouter(tags=["media"])


@router.get("/videos/{video_id}/media")
async def list_media(video_id: str, user: CurrentUser, session: SessionDep) -> dict[str, str]:
    """Artifact names of a video, each downloadable from ``/media/{name}``."""
    video = await video_service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    names = await service.artifacts(session, video.id)
    return {name: f"/api/v1/videos/{video.id}/media/{name}" for name in sorted(names)}


@router.get("/videos/{video_id}/media/{name}")
async def get_media(
    video_id: str, name: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    video = await video_service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    media = await service.resolve(session, settings.media_dir, video.id, name)
    return FileResponse(
        media.path,
        media_type=media.media_type,
        filename=media.filename,
        content_disposition_type="inline",
    )
