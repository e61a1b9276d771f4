from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.channels import service as channel_service
from backend.deps import CurrentUser, SessionDep, parse_uuid
from backend.models import VideoStage, VideoStatus
from backend.videos import repository, service
from backend.videos.schemas import VideoCreate, VideoDetail, VideoOut, VideoPage

router = APIRouter(tags=["videos"])


@router.post("/channels/{channel_id}/videos", status_code=status.HTTP_201_CREATED)
async def create_video(
    channel_id: str, user: CurrentUser, session: SessionDep, data: VideoCreate | None = None
) -> VideoOut:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    video = await service.create(session, channel, data or VideoCreate())
    return VideoOut.model_validate(video)


@router.get("/videos")
async def list_videos(
    user: CurrentUser,
    session: SessionDep,
    channel_id: str | None = None,
    status: VideoStatus | None = None,
    stage: VideoStage | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> VideoPage:
    channel = parse_uuid(channel_id, "channel") if channel_id else None
    rows, next_cursor = await repository.page(
        session,
        user.id,
        channel_id=channel,
        status=status,
        stage=stage,
        cursor=cursor,
        limit=limit,
    )
    return VideoPage(items=[VideoOut.model_validate(v) for v in rows], next_cursor=next_cursor)


@router.get("/videos/{video_id}")
async def get_video(video_id: str, user: CurrentUser, session: SessionDep) -> VideoDetail:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return await service.detail(session, video)


@router.post("/videos/{video_id}/retry")
async def retry_video(video_id: str, user: CurrentUser, session: SessionDep) -> VideoOut:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.retry(session, video))


@router.post("/videos/{video_id}/cancel")
async def cancel_video(video_id: str, user: CurrentUser, session: SessionDep) -> VideoOut:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.cancel(session, video))
