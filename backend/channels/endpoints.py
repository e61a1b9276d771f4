from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from backend.channels import repository, service, voices
from backend.channels.schemas import (
    ChannelCreate,
    ChannelList,
    ChannelOut,
    ChannelUpdate,
    DeletePreviewOut,
    VoiceOut,
)
from backend.deps import CurrentUser, RedisDep, SessionDep, SettingsDep, parse_uuid

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("")
async def list_channels(user: CurrentUser, session: SessionDep) -> ChannelList:
    channels = await repository.list_for_owner(session, user.id)
    return ChannelList(
        items=await service.to_outs(session, channels), limit=user.channel_limit, used=len(channels)
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(data: ChannelCreate, user: CurrentUser, session: SessionDep) -> ChannelOut:
    return await service.to_out(session, await service.create(session, user, data))


def preview_url(voice_id: str) -> str:
    from urllib.parse import quote

    return f"/api/v1/channels/voices/preview?voice={quote(voice_id, safe='')}"


@router.get("/voices")
async def list_voices(_user: CurrentUser, settings: SettingsDep) -> list[VoiceOut]:
    """The voices a channel can pick on this machine (named voices, then eSpeak NG's)."""
    return [
        VoiceOut(
            id=v.id,
            label=v.label,
            group=v.group,
            language=v.language,
            served_by=v.served_by,
            preview_url=preview_url(v.id),
        )
        for v in voices.catalogue(settings)
    ]


@router.get(
    "/voices/preview",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}, "description": "a short WAV sample"}},
)
async def preview_voice(
    voice: Annotated[str, Query(min_length=1, max_length=64)],
    user: CurrentUser,
    settings: SettingsDep,
    redis: RedisDep,
) -> Response:
    """A short spoken sample in this voice (made once, then cached; a few per minute)."""
    audio = await voices.preview(settings, redis, user.id, voice)
    return Response(
        audio, media_type="audio/wav", headers={"cache-control": "private, max-age=86400"}
    )


@router.get("/{channel_id}/delete-preview")
async def delete_preview(
    channel_id: str, user: CurrentUser, session: SessionDep
) -> DeletePreviewOut:
    """What deleting the channel would do to its videos (nothing is changed)."""
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    preview = await service.delete_preview(session, channel)
    return DeletePreviewOut(
        videos=preview.total,
        cancelled=preview.cancelled,
        running=preview.running,
        kept=preview.kept,
        summary=preview.sentences(),
    )


@router.get("/{channel_id}")
async def get_channel(channel_id: str, user: CurrentUser, session: SessionDep) -> ChannelOut:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return await service.to_out(session, channel)


@router.patch("/{channel_id}")
async def update_channel(
    channel_id: str, data: ChannelUpdate, user: CurrentUser, session: SessionDep
) -> ChannelOut:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return await service.to_out(session, await service.update_channel(session, channel, data))


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_channel(channel_id: str, user: CurrentUser, session: SessionDep) -> None:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    await service.delete(session, channel)
