"""Publishing API: a channel's YouTube connection, the OAuth client, today's quota.

Every channel route answers 404 for another owner's channel, exactly as for a missing one.
The routes that talk to Google (``complete``, ``DELETE``) answer 502 when Google cannot be
reached or answers an error.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import service as channel_service
from backend.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, parse_uuid
from backend.errors import ErrorBody
from backend.publishing import connections, oauth, repository, service
from backend.publishing.connections import ConnectionState
from backend.publishing.quota import quota_status
from backend.publishing.schemas import (
    CompleteConnect,
    ConsentOut,
    DisconnectOut,
    OAuthClientOut,
    QuotaOut,
    YouTubeConnectionOut,
)
from backend.settings import Settings

router = APIRouter(tags=["youtube"])

GOOGLE_FAILED: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "Google could not be reached, or answered an error"}
}


def _out(state: ConnectionState) -> YouTubeConnectionOut:
    return YouTubeConnectionOut.model_validate(state)


@router.get("/channels/{channel_id}/youtube")
async def get_connection(
    channel_id: str, user: CurrentUser, session: SessionDep
) -> YouTubeConnectionOut:
    """The channel's YouTube connection: not_connected, connected or needs_reconnect."""
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return _out(await connections.state(session, channel.id))


@router.post("/channels/{channel_id}/youtube/connect")
async def start_connect(
    channel_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConsentOut:
    """Start a consent (authorization code + PKCE + state, 15 minutes, single use).

    400 `youtube_client_missing` while no OAuth client is set (`PUT /youtube/client`).
    """
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    consent = await connections.start(session, settings, channel.id)
    return ConsentOut(
        consent_url=consent.url, expires_at=consent.expires_at, redirect_uri=consent.redirect_uri
    )


@router.post("/channels/{channel_id}/youtube/complete", responses=GOOGLE_FAILED)
async def complete_connect(
    channel_id: str,
    data: CompleteConnect,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> YouTubeConnectionOut:
    """Finish a consent on a headless box: paste the address Google redirected to (its
    `state` is checked) or only its code (it answers the channel's latest consent).

    400 `youtube_authorization_refused`: no consent waiting, a state mismatch, an expired
    consent, or Google refused the code.
    """
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    row = await connections.finish(session, settings, channel.id, data.code_or_redirect_url)
    connections.backfill_after_commit(
        session, getattr(request.app.state.dispatcher, "connection", None), settings, channel.id
    )
    return _out(connections.state_of(channel.id, row))


@router.delete("/channels/{channel_id}/youtube", responses=GOOGLE_FAILED)
async def disconnect(
    channel_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> DisconnectOut:
    """Revoke the channel's grant at Google and wipe it here (its uploads are held)."""
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    done = await connections.stop(session, settings, channel.id)
    return DisconnectOut(channel_id=channel.id, disconnected=done)


async def _client_out(session: AsyncSession, settings: Settings) -> OAuthClientOut:
    redirect = oauth.redirect_uri(settings)
    row = await repository.get_client(session)
    if row is None:
        return OAuthClientOut(configured=False, redirect_uri=redirect)
    uris = list(row.redirect_uris or [])
    return OAuthClientOut(
        configured=True,
        project_id=row.project_id,
        client_id=row.client_id,
        redirect_uris=uris,
        redirect_uri=redirect,
        redirect_uri_registered=redirect in uris,
    )


@router.get("/youtube/client")
async def get_client(
    _user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> OAuthClientOut:
    """Whether an OAuth client is set, its project and client id, and the redirect URI to
    register for it in Google Cloud Console. The client secret is never shown."""
    return await _client_out(session, settings)


@router.put("/youtube/client")
async def put_client(
    client_file: Annotated[
        dict[str, Any],
        Body(
            description="Google Cloud's client_secret.json as downloaded: an object with a "
            '"web" (or "installed") section holding client_id, client_secret, project_id and '
            "redirect_uris"
        ),
    ],
    _admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
) -> OAuthClientOut:
    """Store the appliance's OAuth client, its secret encrypted (administrators only).

    400 `youtube_client_invalid` when the file has no client id and secret.
    """
    await service.set_client(session, settings, json.dumps(client_file))
    return await _client_out(session, settings)


@router.get("/youtube/quota")
async def get_quota(_user: CurrentUser, session: SessionDep, settings: SettingsDep) -> QuotaOut:
    """Data API units used and left today for the OAuth client's Google Cloud project."""
    status = await quota_status(session, settings.youtube_upload_quota)
    return QuotaOut(
        project_id=status.project_id,
        day=status.day,
        limit=status.limit,
        used=status.used,
        left=status.left,
        exhausted=status.exhausted,
        resets_at=status.resets_at,
    )
