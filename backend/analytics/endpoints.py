from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from backend.analytics import service
from backend.analytics.schemas import ChannelAnalytics, VideoAnalytics
from backend.channels import service as channel_service
from backend.db.base import utcnow
from backend.deps import CurrentUser, SessionDep, parse_uuid

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/channels/{channel_id}")
async def channel_analytics(
    channel_id: str,
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> ChannelAnalytics:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    first, last = service.resolve_range(start, end, utcnow().date())
    return await service.channel_analytics(session, channel, first, last)


@router.get("/videos/{video_id}")
async def video_analytics(video_id: str, user: CurrentUser, session: SessionDep) -> VideoAnalytics:
    """A video's YouTube numbers per day and its profit to date (revenue minus its costs)."""
    video = await service.owned_video(session, user.id, parse_uuid(video_id, "video"))
    return await service.video_analytics(session, video)
