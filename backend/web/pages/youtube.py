"""YouTube on the dashboard: the Google OAuth client (Settings > YouTube), connecting and
disconnecting a channel, Google's answer at ``/oauth/youtube/callback``, and a channel's
publishing settings (made for kids, privacy, auto-publish).

Connecting is the authorization-code flow of ``backend.publishing.service``: the Connect
form answers with a 303 to Google's consent page (its `state` and PKCE verifier are kept
by ``begin_connect``); Google sends the browser back to the callback, which checks that the
consent was started here, for a channel of the signed-in user, before the code exchange.
"""

from __future__ import annotations

from typing import Annotated

import google.auth.exceptions
import httplib2
import structlog
from fastapi import Query, Request, Response
from googleapiclient.errors import Error as GoogleApiError
from starlette.datastructures import UploadFile

from backend.channels import service as channel_service
from backend.deps import RedisDep, SessionDep, SettingsDep, parse_uuid
from backend.errors import AppError, Forbidden
from backend.models import User, UserRole
from backend.publishing import oauth
from backend.publishing import repository as publishing_repository
from backend.publishing import service as publishing
from backend.publishing.connections import backfill_after_commit
from backend.publishing.errors import InvalidClientFile, NoOAuthClient
from backend.web import repository
from backend.web.deps import Csrf, PageUser
from backend.web.forms import PublishingForm
from backend.web.pages.channels import detail_page, no_client_message
from backend.web.routing import error_page, page_router, redirect
from backend.web.templating import render

log = structlog.get_logger(__name__)
router = page_router()

SETTINGS_PATH = "/settings/youtube"
MAX_CLIENT_FILE = 64 * 1024  # a client_secret.json is well under 1 KiB
CLIENT_NOTICES = {
    "client_saved": "Google OAuth client saved (its secret is stored encrypted). "
    "Connect a channel from its page.",
}
# Google's `error` answers (RFC 6749 4.1.2.1) in words, with what to do.
CONSENT_ERRORS = {
    "access_denied": "You did not allow YTEMPIRE to use the YouTube account (Google answered "
    "access_denied). Nothing was connected; press Connect YouTube again and choose Allow.",
    "invalid_scope": "Google refused the permissions YTEMPIRE asks for (invalid_scope). Check "
    "that the YouTube Data API v3 and the YouTube Analytics API are enabled in the Google "
    "Cloud project of the OAuth client.",
    "unauthorized_client": "Google does not let this OAuth client use this flow "
    "(unauthorized_client). Create the client as type 'Web application'.",
}


def redirect_uri(request: Request) -> str:
    return oauth.redirect_uri(request.app.state.settings)


# -- Settings > YouTube ------------------------------------------------------------------------
async def _settings_page(
    request: Request,
    user: User,
    session: SessionDep,
    *,
    error: str | None = None,
    pasted: str = "",
    status_code: int = 200,
) -> Response:
    row = await publishing_repository.get_client(session)
    uri = redirect_uri(request)
    return render(
        request,
        "settings_youtube.html",
        {
            "client": row,
            "redirect_uri": uri,
            "redirect_listed": row is not None and uri in (row.redirect_uris or []),
            "can_edit": user.role == UserRole.admin,
            "error": error,
            "pasted": pasted,
            "notice": CLIENT_NOTICES.get(request.query_params.get("notice", "")),
        },
        user=user,
        section="settings",
        status_code=status_code,
    )


@router.get(SETTINGS_PATH)
async def youtube_settings_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    return await _settings_page(request, user, session)


async def _client_text(request: Request) -> tuple[str, str]:
    """The client file's text, from the uploaded file or else the pasted text."""
    form = await request.form()
    upload, pasted = form.get("client_file"), form.get("client_json")
    pasted_text = pasted.strip() if isinstance(pasted, str) else ""
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_CLIENT_FILE + 1)
        if len(raw) > MAX_CLIENT_FILE:
            raise InvalidClientFile(
                "That file is too large for a client_secret.json (over 64 KiB); pick the JSON "
                "file you downloaded for the OAuth client"
            )
        try:
            return raw.decode("utf-8-sig"), pasted_text
        except UnicodeDecodeError as exc:
            raise InvalidClientFile(
                "That file is not text; pick the client_secret.json you downloaded"
            ) from exc
    if not pasted_text:
        raise InvalidClientFile(
            "Choose the client_secret.json file, or paste its contents, before saving"
        )
    return pasted_text, pasted_text


@router.post(f"{SETTINGS_PATH}/client", dependencies=[Csrf])
async def save_client(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    if user.role != UserRole.admin:
        raise Forbidden(
            "Only an administrator can set the appliance's Google OAuth client.",
            code="admin_required",
        )
    pasted = ""
    try:
        text, pasted = await _client_text(request)
        config = await publishing.set_client(session, settings, text)
    except InvalidClientFile as exc:  # refused before anything is written
        # never echo a secret back: a pasted file is shown again only if it did not parse
        keep = "" if '"client_secret"' in pasted else pasted
        return await _settings_page(
            request, user, session, error=exc.message, pasted=keep, status_code=400
        )
    log.info("web.youtube.client_set", project_id=config.project_id, user_id=str(user.id))
    return redirect(f"{SETTINGS_PATH}?notice=client_saved")


# -- connect / disconnect ----------------------------------------------------------------------
@router.post("/channels/{channel_id}/youtube/connect", dependencies=[Csrf])
async def connect_channel(
    request: Request,
    channel_id: str,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
) -> Response:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    try:
        start = await publishing.begin_connect(session, settings, channel.id)
    except NoOAuthClient:  # refused before anything is written
        return await detail_page(
            request,
            channel,
            user,
            session,
            redis,
            youtube_error=no_client_message(),
            status_code=400,
        )
    log.info("web.youtube.consent_started", channel_id=str(channel.id))
    return redirect(start.url)


@router.post("/channels/{channel_id}/youtube/disconnect", dependencies=[Csrf])
async def disconnect_channel(
    request: Request,
    channel_id: str,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
) -> Response:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    try:
        await publishing.disconnect(session, settings, channel.id)
    except AppError as exc:  # Google's revocation endpoint unreachable: the grant stays
        return await detail_page(
            request, channel, user, session, redis, youtube_error=exc.message, status_code=502
        )
    return redirect(f"/channels/{channel.id}?notice=youtube_disconnected#youtube")


# -- Google's answer ---------------------------------------------------------------------------
def _refused(message: str) -> str:
    return message.rstrip(".") + "."


@router.get("/oauth/youtube/callback")
async def youtube_callback(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    state: Annotated[str, Query(max_length=512)] = "",
    code: Annotated[str, Query(max_length=2048)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Google sends the browser here after the consent screen, with `code` and `state`
    (or `error`). The consent must have been started here, for one of this user's channels."""
    title = "YouTube was not connected"
    channel_uuid = await repository.consent_channel(session, state)
    channel = await channel_service.get_owned(session, user, channel_uuid) if channel_uuid else None
    back = (f"/channels/{channel.id}#youtube", f"Back to {channel.name}") if channel else None
    if error:
        message = CONSENT_ERRORS.get(
            error,
            f"Google answered with the error {error!r}; nothing was connected. Press Connect "
            "YouTube on the channel page to try again.",
        )
        log.info("web.youtube.consent_error", error=error)
        return await error_page(request, 400, title, message, back=back)
    if channel is None:
        return await error_page(
            request,
            400,
            title,
            "This answer from Google does not match a connection started here (the state does "
            "not match, or the 15 minutes to answer ran out, or it was used already). Nothing "
            "was connected: open the channel and press Connect YouTube again.",
            back=("/channels", "Go to channels"),
        )
    if not code:
        return await error_page(
            request,
            400,
            title,
            "Google's answer has no code; press Connect YouTube again.",
            back=back,
        )
    try:
        grant = await publishing.complete_connect(
            session, settings, code=code, state=state, channel_id=channel.id
        )
    except AppError as exc:
        return await error_page(request, exc.status_code, title, _refused(exc.message), back=back)
    except (
        GoogleApiError,
        google.auth.exceptions.GoogleAuthError,
        httplib2.HttpLib2Error,
        OSError,
    ) as exc:
        log.warning("web.youtube.connect_failed", error=repr(exc), channel_id=str(channel.id))
        return await error_page(
            request,
            502,
            title,
            f"YouTube did not answer as expected ({type(exc).__name__}). Nothing was connected; "
            "try again in a minute.",
            back=back,
        )
    backfill_after_commit(
        session, getattr(request.app.state.dispatcher, "connection", None), settings, channel.id
    )
    log.info("web.youtube.connected", channel_id=str(channel.id), youtube=grant.youtube_channel_id)
    return redirect(f"/channels/{channel.id}?notice=youtube_connected#youtube")


# -- a channel's publishing settings -----------------------------------------------------------
@router.post("/channels/{channel_id}/publishing", dependencies=[Csrf])
async def save_publishing(
    request: Request, channel_id: str, user: PageUser, session: SessionDep, redis: RedisDep
) -> Response:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    form = PublishingForm.read(await request.form())
    data = form.to_update()
    if data is None:
        return await detail_page(
            request, channel, user, session, redis, publishing_form=form, status_code=400
        )
    await channel_service.update_channel(session, channel, data)
    return redirect(f"/channels/{channel.id}?notice=publishing_saved#publishing")
