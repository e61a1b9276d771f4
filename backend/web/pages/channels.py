"""Channels: list with the channel limit, create, edit, pause/resume, delete (after a
confirmation page that says what happens to the videos), detail (with its YouTube
connection and publishing settings; their forms are in ``pages/youtube.py``), queue a video."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request, Response
from pydantic import ValidationError

from backend.analytics import service as analytics_service
from backend.autopilot import service as autopilot_service
from backend.channels import repository, service, voices
from backend.channels.schemas import ChannelOut, ChannelUpdate
from backend.dashboard import service as dashboard_service
from backend.db.base import utcnow
from backend.deps import RedisDep, SessionDep, parse_uuid
from backend.errors import Conflict
from backend.models import Channel, ChannelStatus
from backend.publishing import repository as publishing_repository
from backend.publishing.errors import NoOAuthClient
from backend.videos import repository as video_repository
from backend.videos import service as video_service
from backend.videos.dependencies import DispatcherDep
from backend.videos.schemas import VideoCreate
from backend.web.deps import Csrf, PageUser
from backend.web.forms import PRIVACY_CHOICES, ChannelForm, PublishingForm, validation_messages
from backend.web.middleware import csp_allowing_forms_to
from backend.web.pages.common import analytics_charts, notice_for
from backend.web.pages.music import music_root, music_summary
from backend.web.routing import page_router, redirect
from backend.web.templating import render

router = page_router()


def voice_installed(request: Request, voice: str, form: ChannelForm) -> bool:
    """A new voice must be one installed here; the form says so when it is not."""
    if any(v.id == voice for v in voices.catalogue(request.app.state.settings)):
        return True
    form.errors["voice"] = "Pick one of the voices in the list: this one is not installed here."
    return False


def voice_options(request: Request) -> list[tuple[str, list[tuple[str, str]]]]:
    """The voices installed here, grouped for the form's select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for voice in voices.catalogue(request.app.state.settings):
        groups.setdefault(voice.group, []).append((voice.id, voice.label))
    return list(groups.items())


async def _list_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    redis: RedisDep,
    form: ChannelForm | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    channels = await repository.list_for_owner(session, user.id)
    metrics = await dashboard_service.metrics(session, redis, user.id)
    by_id = {m.id: m for m in metrics.channels}
    return render(
        request,
        "channels.html",
        {
            "channels": [(c, by_id.get(c.id)) for c in channels],
            "youtube": {o.id: o for o in await service.to_outs(session, channels)},
            "used": len(channels),
            "limit": user.channel_limit,
            "form": form or ChannelForm.blank(),
            "form_error": error,
            "voices": voice_options(request),
            "notice": notice_for(request),
        },
        user=user,
        section="channels",
        status_code=status_code,
    )


@router.get("/channels")
async def channels_page(
    request: Request, user: PageUser, session: SessionDep, redis: RedisDep
) -> Response:
    return await _list_page(request, user, session, redis)


@router.post("/channels", dependencies=[Csrf])
async def create_channel(
    request: Request, user: PageUser, session: SessionDep, redis: RedisDep
) -> Response:
    form = ChannelForm.read(await request.form())
    data = form.to_create()
    if data is not None and not voice_installed(request, data.voice_settings.voice, form):
        data = None
    if data is None:
        return await _list_page(
            request, user, session, redis, form, "Check the highlighted fields.", 400
        )
    try:
        channel = await service.create(session, user, data)
    except Conflict as exc:
        return await _list_page(request, user, session, redis, form, exc.message, 409)
    return redirect(f"/channels/{channel.id}?notice=channel_created")


def no_client_message() -> str:
    """What to do when no Google OAuth client is set (every Connect button says it)."""
    return NoOAuthClient().message


def youtube_notice(request: Request, youtube: ChannelOut) -> str | None:
    """The one-line notices about YouTube, some of which name the connected account."""
    key = request.query_params.get("notice", "")
    if key == "youtube_connected" and youtube.youtube_connected:
        return (
            f"Connected to YouTube as {youtube.youtube_channel_title or 'your channel'}"
            f" ({youtube.youtube_channel_id}). Uploads use this account from now on."
        )
    if key == "youtube_disconnected":
        return "Disconnected from YouTube: the access was revoked at Google and deleted here."
    if key == "publishing_saved":
        return "Publishing settings saved."
    return None


async def detail_page(
    request: Request,
    channel: Channel,
    user: PageUser,
    session: SessionDep,
    redis: RedisDep,
    queue_error: str | None = None,
    status_code: int = 200,
    *,
    youtube_error: str | None = None,
    publishing_form: PublishingForm | None = None,
) -> Response:
    videos, next_cursor = await video_repository.page(
        session, user.id, channel_id=channel.id, status=None, stage=None, cursor=None, limit=20
    )
    metrics = await dashboard_service.metrics(session, redis, user.id)
    row = next((m for m in metrics.channels if m.id == channel.id), None)
    end = utcnow().date()
    analytics = await analytics_service.channel_analytics(
        session, channel, end - timedelta(days=29), end
    )
    youtube = await service.to_out(session, channel)
    client = await publishing_repository.get_client(session)
    settings = request.app.state.settings
    response = render(
        request,
        "channel_detail.html",
        {
            "channel": channel,
            "videos": videos,
            "more_videos": next_cursor is not None,
            "metrics": row,
            "analytics": analytics,
            "charts": analytics_charts(analytics.days),
            "notice": youtube_notice(request, youtube) or notice_for(request),
            "queue_error": queue_error,
            "youtube": youtube,
            "has_client": client is not None,
            "no_client_message": no_client_message(),
            "youtube_error": youtube_error,
            "publishing": publishing_form or PublishingForm.of(channel),
            "privacy_choices": PRIVACY_CHOICES,
            "autopilot": await autopilot_service.schedule(session, channel, utcnow(), settings),
            "music": music_summary(music_root(request), channel),
        },
        user=user,
        section="channels",
        status_code=status_code,
    )
    # Connect answers with a redirect to Google's consent page: let this page's form go there.
    response.headers["content-security-policy"] = csp_allowing_forms_to(
        settings.google_oauth_auth_url
    )
    return response


@router.get("/channels/{channel_id}")
async def channel_page(
    request: Request, channel_id: str, user: PageUser, session: SessionDep, redis: RedisDep
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return await detail_page(request, channel, user, session, redis)


@router.get("/channels/{channel_id}/edit")
async def edit_page(
    request: Request, channel_id: str, user: PageUser, session: SessionDep
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return render(
        request,
        "channel_edit.html",
        {
            "channel": channel,
            "form": ChannelForm.of(channel),
            "form_error": None,
            "voices": voice_options(request),
        },
        user=user,
        section="channels",
    )


@router.post("/channels/{channel_id}/edit", dependencies=[Csrf])
async def edit_channel(
    request: Request, channel_id: str, user: PageUser, session: SessionDep
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    form = ChannelForm.read(await request.form())
    data = form.to_update(channel)
    saved = (channel.voice_settings or {}).get("voice")
    voice = data.voice_settings.voice if data is not None and data.voice_settings else saved
    if voice != saved and not voice_installed(request, str(voice), form):
        data = None
    error = "Check the highlighted fields." if data is None else None
    if data is not None:
        try:
            await service.update_channel(session, channel, data)
        except Conflict as exc:
            error = exc.message
    if error is not None:
        return render(
            request,
            "channel_edit.html",
            {
                "channel": channel,
                "form": form,
                "form_error": error,
                "voices": voice_options(request),
            },
            user=user,
            section="channels",
            status_code=400,
        )
    return redirect(f"/channels/{channel.id}?notice=channel_saved")


@router.post("/channels/{channel_id}/pause", dependencies=[Csrf])
async def pause_channel(channel_id: str, user: PageUser, session: SessionDep) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    await service.update_channel(session, channel, ChannelUpdate(status=ChannelStatus.paused))
    return redirect(f"/channels/{channel.id}?notice=channel_paused")


@router.post("/channels/{channel_id}/resume", dependencies=[Csrf])
async def resume_channel(channel_id: str, user: PageUser, session: SessionDep) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    await service.update_channel(session, channel, ChannelUpdate(status=ChannelStatus.active))
    return redirect(f"/channels/{channel.id}?notice=channel_resumed")


@router.post("/channels/{channel_id}/videos", dependencies=[Csrf])
async def queue_video(
    request: Request,
    channel_id: str,
    user: PageUser,
    session: SessionDep,
    redis: RedisDep,
    dispatcher: DispatcherDep,
    topic: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    try:
        data = VideoCreate(topic=topic.strip() or None)
    except ValidationError as exc:
        message = " ".join(validation_messages(exc.errors()).values())
        return await detail_page(request, channel, user, session, redis, message, 400)
    try:
        await video_service.create(session, channel, data, dispatcher=dispatcher)
    except Conflict as exc:
        return await detail_page(request, channel, user, session, redis, exc.message, 409)
    return redirect("/queue?notice=video_queued")


@router.get("/channels/{channel_id}/delete")
async def delete_page(
    request: Request, channel_id: str, user: PageUser, session: SessionDep
) -> Response:
    """The confirmation step: what deleting does to this channel's videos, in numbers."""
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    preview = await service.delete_preview(session, channel)
    return render(
        request,
        "channel_delete.html",
        {"channel": channel, "preview": preview},
        user=user,
        section="channels",
    )


@router.post("/channels/{channel_id}/delete", dependencies=[Csrf])
async def delete_channel(channel_id: str, user: PageUser, session: SessionDep) -> Response:
    channel = await service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    await service.delete(session, channel)
    return redirect("/channels?deleted=1")
