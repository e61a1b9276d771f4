"""The publishing API's bodies: a channel's YouTube connection, the OAuth client, the quota."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConnectionName = Literal["not_connected", "connected", "needs_reconnect"]


class YouTubeConnectionOut(BaseModel):
    """A channel's YouTube grant as the owner sees it (never its tokens)."""

    model_config = ConfigDict(from_attributes=True)

    channel_id: uuid.UUID
    state: ConnectionName
    youtube_channel_id: str | None
    youtube_channel_title: str | None
    reason: str | None  # why it needs reconnecting
    scopes: list[str]
    connected_at: datetime | None
    refreshed_at: datetime | None


class ConsentOut(BaseModel):
    """Open ``consent_url`` signed in to the channel's Google account before ``expires_at``.

    Google then sends the browser to ``redirect_uri`` (this appliance's callback); on a
    headless box, paste that address (or its code) into ``POST .../youtube/complete``.
    """

    consent_url: str
    expires_at: datetime
    redirect_uri: str


class CompleteConnect(BaseModel):
    """What Google's consent gave: the whole address it redirected to, or only its code."""

    model_config = ConfigDict(extra="forbid")

    code_or_redirect_url: str = Field(min_length=1, max_length=4000)


class DisconnectOut(BaseModel):
    channel_id: uuid.UUID
    # True: a grant was revoked at Google and wiped here; False: there was none.
    disconnected: bool
    state: ConnectionName = "not_connected"


class OAuthClientOut(BaseModel):
    """The Google Cloud OAuth client uploads run on (its secret is never shown)."""

    configured: bool
    project_id: str | None = None
    client_id: str | None = None
    redirect_uris: list[str] = []  # the redirect URIs registered in the client file
    # The address to register in Google Cloud Console (<YTE_OAUTH_REDIRECT_BASE_URL>/oauth/...)
    redirect_uri: str
    redirect_uri_registered: bool = False


class QuotaOut(BaseModel):
    """Today's YouTube Data API units (Google's day runs midnight to midnight Pacific)."""

    project_id: str | None  # null: no OAuth client is set yet
    day: date
    limit: int
    used: int
    left: int
    exhausted: bool  # YouTube answered quotaExceeded today: nothing is left until the reset
    resets_at: datetime
