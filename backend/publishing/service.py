"""Connecting a channel to YouTube, and the grant the uploads run on.

Services flush, never commit (the caller's unit of work does), except where a grant that
Google declared dead is marked: that must survive the failing call, so it commits alone.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from google.oauth2.credentials import Credentials
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.errors import NotFound
from backend.models import ConnectionStatus, YouTubeAuthorization, YouTubeCredential
from backend.publishing import clients, oauth, repository
from backend.publishing.credentials import OAuthClientConfig, TokenSet, parse_client_file
from backend.publishing.errors import (
    AuthorizationRefused,
    NeedsReconnect,
    NoOAuthClient,
    NotConnected,
    PublishingError,
)
from backend.security.crypto import SecretBox
from backend.settings import Settings

log = structlog.get_logger(__name__)
CONSENT_MINUTES = 15


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(settings.resolved_secret_key())


# -- the OAuth client ------------------------------------------------------------------------
async def set_client(session: AsyncSession, settings: Settings, text: str) -> OAuthClientConfig:
    config = parse_client_file(text)
    await repository.put_client(
        session,
        project_id=config.project_id,
        client_id=config.client_id,
        client_secret_encrypted=secret_box(settings).encrypt(config.client_secret),
        redirect_uris=config.redirect_uris,
    )
    return config


async def get_client(session: AsyncSession, settings: Settings) -> OAuthClientConfig:
    row = await repository.get_client(session)
    if row is None:
        raise NoOAuthClient()
    return OAuthClientConfig(
        client_id=row.client_id,
        client_secret=secret_box(settings).decrypt(row.client_secret_encrypted),
        project_id=row.project_id,
        redirect_uris=list(row.redirect_uris or []),
    )


# -- connect ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsentStart:
    url: str
    state: str
    redirect_uri: str


async def begin_connect(
    session: AsyncSession, settings: Settings, channel_id: uuid.UUID, *, redirect: str | None = None
) -> ConsentStart:
    """A consent URL for the channel; its `state` and PKCE verifier are kept for the answer."""
    if await repository.get_channel(session, channel_id) is None:
        raise NotFound("channel", channel_id)
    client = await get_client(session, settings)
    redirect = redirect or oauth.redirect_uri(settings)
    state, verifier = oauth.new_state(), oauth.new_code_verifier()
    now = utcnow()
    await repository.purge_authorizations(session, now)
    await repository.add_authorization(
        session,
        YouTubeAuthorization(
            channel_id=channel_id,
            state_hash=oauth.hash_state(state),
            code_verifier_encrypted=secret_box(settings).encrypt(verifier),
            redirect_uri=redirect,
            expires_at=now + timedelta(minutes=CONSENT_MINUTES),
        ),
    )
    url = oauth.authorization_url(
        settings, client, redirect=redirect, state=state, verifier=verifier
    )
    return ConsentStart(url=url, state=state, redirect_uri=redirect)


async def complete_connect(
    session: AsyncSession,
    settings: Settings,
    *,
    code: str,
    state: str | None,
    channel_id: uuid.UUID | None = None,
    console_code: bool = False,
) -> YouTubeCredential:
    """Check `state`, exchange the code with its PKCE verifier, keep the channel's grant.

    ``console_code``: the admin pasted a bare code on this box's console (no `state` to
    carry); it answers the channel's latest consent. Browser answers always need `state`.
    """
    if not state and console_code and channel_id is not None:
        pending = await repository.take_latest_authorization(session, channel_id)
        if pending is None:
            raise AuthorizationRefused(
                "No consent is waiting for this channel; run `ytempire youtube connect "
                "CHANNEL_ID` first and open the address it prints"
            )
        return await _exchange(session, settings, pending, code)
    if not state:
        raise AuthorizationRefused(
            "The answer has no `state`: paste the whole address Google redirected to, not "
            "only the code, so that it can be matched to the consent it answers"
        )
    pending = await repository.take_authorization(session, oauth.hash_state(state))
    if pending is None:
        raise AuthorizationRefused(
            "This consent answer does not match any consent started here (state mismatch); "
            "start the connection again"
        )
    if channel_id is not None and pending.channel_id != channel_id:
        raise AuthorizationRefused("This consent answer was started for another channel")
    return await _exchange(session, settings, pending, code)


async def _exchange(
    session: AsyncSession, settings: Settings, pending: YouTubeAuthorization, code: str
) -> YouTubeCredential:
    if pending.expires_at < utcnow():
        raise AuthorizationRefused(
            f"The consent expired (it is valid {CONSENT_MINUTES} minutes); start it again"
        )
    client = await get_client(session, settings)
    box = secret_box(settings)
    transport = clients.token_transport(settings)
    tokens = await asyncio.to_thread(
        oauth.exchange_code,
        settings,
        transport,
        client,
        code=code,
        verifier=box.decrypt(pending.code_verifier_encrypted),
        redirect=pending.redirect_uri,
    )
    credentials = oauth.google_credentials(settings, client, tokens)
    youtube_id, title = await asyncio.to_thread(_my_channel, settings, credentials)
    now = utcnow()
    row = await repository.put_credential(
        session,
        pending.channel_id,
        youtube_channel_id=youtube_id,
        youtube_channel_title=title,
        tokens_encrypted=box.encrypt(tokens.to_json()),
        scopes=tokens.scopes,
        status=ConnectionStatus.connected,
        status_reason=None,
        connected_at=now,
        refreshed_at=now,
    )
    await repository.set_channel_youtube_id(session, pending.channel_id, youtube_id)
    log.info("youtube.connected", channel_id=str(pending.channel_id), youtube_channel=youtube_id)
    return row


def _my_channel(settings: Settings, credentials: Credentials) -> tuple[str, str]:
    api = clients.youtube(settings, credentials)
    answer = api.resource.channels().list(part="snippet", mine=True).execute(num_retries=2)
    items = answer.get("items") or []
    if not items:
        raise AuthorizationRefused(
            "This Google account has no YouTube channel; create one, then connect again"
        )
    return str(items[0]["id"]), str(items[0].get("snippet", {}).get("title", ""))


async def disconnect(session: AsyncSession, settings: Settings, channel_id: uuid.UUID) -> bool:
    """Revoke the grant at Google and wipe it here. False when there was nothing to revoke."""
    row = await repository.get_credential(session, channel_id)
    if row is None:
        return False
    tokens = TokenSet.from_json(secret_box(settings).decrypt(row.tokens_encrypted))
    token = tokens.refresh_token or tokens.access_token
    revoked = await asyncio.to_thread(
        oauth.revoke, settings, clients.token_transport(settings), token
    )
    if not revoked:
        log.info("youtube.revoke.already_dead", channel_id=str(channel_id))
    await repository.delete_credential(session, channel_id)
    await repository.set_channel_youtube_id(session, channel_id, None)
    return True


# -- the grant an upload runs on -------------------------------------------------------------
@dataclass
class ChannelGrant:
    channel_id: uuid.UUID
    client: OAuthClientConfig
    credentials: Credentials
    youtube_channel_id: str | None


async def load_grant(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, channel_id: uuid.UUID
) -> ChannelGrant:
    """The channel's credentials, refreshed now if the access token expired (and kept)."""
    async with sessions() as session:
        client = await get_client(session, settings)
        row = await repository.get_credential(session, channel_id)
        if row is None:
            raise NotConnected(channel_id)
        if row.status is ConnectionStatus.needs_reconnect:
            reason = row.status_reason or "the grant was revoked"
            raise NeedsReconnect(reason, channel_id=channel_id)
        tokens = TokenSet.from_json(secret_box(settings).decrypt(row.tokens_encrypted))
        youtube_channel_id = row.youtube_channel_id
    credentials = oauth.google_credentials(settings, client, tokens)
    grant = ChannelGrant(channel_id, client, credentials, youtube_channel_id)
    if not credentials.valid:  # expired (google-auth counts a safety margin)
        await refresh_grant(sessions, settings, grant)
    return grant


async def refresh_grant(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, grant: ChannelGrant
) -> None:
    try:
        await asyncio.to_thread(oauth.refresh, grant.credentials, clients.token_transport(settings))
    except NeedsReconnect as exc:
        await mark_needs_reconnect(sessions, grant.channel_id, exc.reason)
        raise NeedsReconnect(exc.reason, channel_id=grant.channel_id) from exc
    await save_credentials(sessions, settings, grant.channel_id, grant.credentials)


async def save_credentials(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: uuid.UUID,
    credentials: Credentials,
) -> None:
    encrypted = secret_box(settings).encrypt(oauth.tokens_of(credentials).to_json())
    async with unit_of_work(sessions) as session:
        await repository.save_tokens(session, channel_id, encrypted, utcnow())


async def mark_needs_reconnect(
    sessions: async_sessionmaker[AsyncSession], channel_id: uuid.UUID, reason: str
) -> None:
    async with unit_of_work(sessions) as session:
        await repository.mark_needs_reconnect(session, channel_id, reason)
    log.warning("youtube.needs_reconnect", channel_id=str(channel_id), reason=reason)


async def connection_status(
    session: AsyncSession, channel_id: uuid.UUID
) -> YouTubeCredential | None:
    return await repository.get_credential(session, channel_id)


__all__ = [
    "ChannelGrant",
    "ConsentStart",
    "PublishingError",
    "begin_connect",
    "complete_connect",
    "disconnect",
    "get_client",
    "load_grant",
    "set_client",
]
