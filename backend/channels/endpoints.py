from __future__ import annotations

from fastapi import APIRouter, status

from backend.channels import repository, service
from backend.channels.schemas import ChannelCreate, ChannelList, ChannelOut, ChannelUpdate
from backend.deps import CurrentUser, SessionDep, parse_uuid

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("")
async def list_channels(user: CurrentUser, session: SessionDep) -> ChannelList:
    channels = await repository.list_for_owner(session, user.id)
    return ChannelList(
        items=[service.to_out(c) for c in channels], limit=user.channel_limit, used=len(channels)
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(data: ChannelCreate, user: CurrentUser, session: SessionDep) -> ChannelOut:
    return service.to_out(await service.create(session, user, data))


@router.get("/{channel_id}")
async def get_channel(channel_id: str, user: CurrentUser, session: SessionDep) -> ChannelOut:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return service.to_out(channel)


@router.patch("/{channel_id}")
async def update_channel(
    channel_id: str, data: ChannelUpdate, user: CurrentUser, session: SessionDep
) -> ChannelOut:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return service.to_out(await service.update_channel(session, channel, data))


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_channel(channel_id: str, user: CurrentUser, session: SessionDep) -> None:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    await service.delete(session, channel)
