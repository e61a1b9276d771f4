from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.channels import service as channel_service
from backend.deps import CurrentUser, SessionDep, parse_uuid
from backend.models import VideoStage, VideoStatus
from backend.videos import repository, service, thumbnails
from backend.videos.dependencies import DispatcherDep
from backend.videos.schemas import (
    PublishRequest,
    ScriptEdit,
    ScriptOut,
    VideoCreate,
    VideoDetail,
    VideoOut,
    VideoPage,
)

router = APIRouter(tags=["videos"])


@router.post("/channels/{channel_id}/videos", status_code=status.HTTP_201_CREATED)
async def create_video(
    channel_id: str,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    data: VideoCreate | None = None,
) -> VideoOut:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    video = await service.create(session, channel, data or VideoCreate(), dispatcher=dispatcher)
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
async def retry_video(
    video_id: str, user: CurrentUser, session: SessionDep, dispatcher: DispatcherDep
) -> VideoOut:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.retry(session, video, dispatcher=dispatcher))


@router.post("/videos/{video_id}/publish", status_code=status.HTTP_202_ACCEPTED)
async def publish_video(
    video_id: str,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    data: PublishRequest | None = None,
) -> VideoOut:
    """Send a ready video to YouTube now, or at `at` (with its time zone; 2 minutes to a
    year ahead: YouTube's publishAt). 202: the upload runs on the publishing queue.

    409 `publish_held` with `details.reasons` when something holds it (not connected,
    made-for-kids unset, paused, over budget, render or quality check); 409
    `invalid_transition` for a video that is not ready; 400 for a time without a zone
    (`naive_publish_time`) or out of range (`publish_time_out_of_range`).
    """
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    at = data.at if data is not None else None
    published = await service.publish(session, video, at=at, dispatcher=dispatcher)
    return VideoOut.model_validate(published)


@router.post("/videos/{video_id}/cancel")
async def cancel_video(video_id: str, user: CurrentUser, session: SessionDep) -> VideoOut:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.cancel(session, video))


@router.post("/videos/{video_id}/discard")
async def discard_video(video_id: str, user: CurrentUser, session: SessionDep) -> VideoOut:
    """Throw a ready video away; `retry` makes it again from the script stage."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.discard(session, video))


@router.post("/videos/{video_id}/approve")
async def approve_video(
    video_id: str, user: CurrentUser, session: SessionDep, dispatcher: DispatcherDep
) -> VideoDetail:
    """Approve a script held for review: production continues at the voice."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.approve(session, video, user.id, dispatcher=dispatcher)
    return await service.detail(session, video)


@router.post("/videos/{video_id}/regenerate")
async def regenerate_video(
    video_id: str, user: CurrentUser, session: SessionDep, dispatcher: DispatcherDep
) -> VideoOut:
    """Write a new script for a held video; the quality gate runs again."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return VideoOut.model_validate(await service.regenerate(session, video, dispatcher=dispatcher))


@router.get("/videos/{video_id}/script")
async def get_script(video_id: str, user: CurrentUser, session: SessionDep) -> ScriptOut:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return service.script_out(video)


@router.put("/videos/{video_id}/script")
async def put_script(
    video_id: str, data: ScriptEdit, user: CurrentUser, session: SessionDep
) -> ScriptOut:
    """Edit a held script: title, hook, each scene's narration and image prompt (the same
    number of scenes). Approve it afterwards to produce the video from it."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.update_script(session, video, data, user.id)
    return service.script_out(video)


@router.get("/videos/{video_id}/thumbnails")
async def get_thumbnails(
    video_id: str, user: CurrentUser, session: SessionDep
) -> thumbnails.ThumbnailsOut:
    """The thumbnail variants (each with its headline and checks) and the picked one."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return await thumbnails.variants(session, video)


@router.put("/videos/{video_id}/thumbnail")
async def pick_thumbnail(
    video_id: str, data: thumbnails.ThumbnailPick, user: CurrentUser, session: SessionDep
) -> thumbnails.ThumbnailsOut:
    """Pick the thumbnail variant the upload sends (before the video is uploaded)."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return await thumbnails.pick(session, video, data.variant)
