from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from backend.models import ChannelStatus, Privacy, VideoFormat
from backend.models.channel import CHANNEL_DEFAULTS

D = CHANNEL_DEFAULTS  # the one place a channel's defaults are written

Budget = Decimal


class VoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voice: str = Field(default=D.voice, min_length=1, max_length=64)
    speed: float = Field(default=D.voice_speed, ge=0.5, le=2.0)
    pitch: int = Field(default=D.voice_pitch, ge=0, le=99)


class StyleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tone: str = Field(default=D.tone, max_length=64)
    target_minutes: float = Field(default=D.target_minutes, gt=0, le=60)
    subtitles: bool = True
    music: bool = True
    palette: str | None = Field(default=None, max_length=32)
    # The built-in music bed (backend/render/music.py); a channel's own tracks win over it.
    music_mood: Literal["calm", "upbeat", "dramatic", "none"] = "calm"
    shorts: bool = False  # a vertical Short is cut from every long video once it is ready
    # Shorts' burned-in captions: a line at a time, or the line with the spoken word lit up
    caption_style: Literal["line", "word_highlight"] = "line"


def _clean(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _timezone(value: str) -> str:
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA timezone name (e.g. Europe/Berlin)") from exc
    return value


class ChannelBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str | None:
        return None if value is None else _timezone(value)

    @field_validator("name", "niche", check_fields=False)
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return None if value is None else _clean(value)

    @model_validator(mode="after")
    def _budgets_consistent(self) -> ChannelBase:
        daily = getattr(self, "daily_budget_usd", None)
        monthly = getattr(self, "monthly_budget_usd", None)
        if daily is not None and monthly is not None and daily > monthly:
            raise ValueError("daily_budget_usd cannot exceed monthly_budget_usd")
        return self


class ChannelCreate(ChannelBase):
    name: str = Field(min_length=1, max_length=100)
    niche: str = Field(min_length=1, max_length=200)
    language: str = Field(default=D.language, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    youtube_channel_id: str | None = Field(default=None, pattern=r"^UC[\w-]{22}$")
    format: VideoFormat = D.format
    cadence_per_day: float = Field(default=D.cadence_per_day, gt=0, le=24)
    daily_budget_usd: Budget = Field(default=D.daily_budget_usd, ge=0, le=100000, decimal_places=4)
    monthly_budget_usd: Budget = Field(
        default=D.monthly_budget_usd, ge=0, le=1000000, decimal_places=4
    )
    quality_threshold: float = Field(default=D.quality_threshold, ge=0, le=1)
    voice_settings: VoiceSettings = Field(default_factory=VoiceSettings)
    style_settings: StyleSettings = Field(default_factory=StyleSettings)
    # YouTube asks whether the videos are made for kids; there is no default: an upload
    # is held until the owner says (true or false).
    made_for_kids: bool | None = None
    privacy: Privacy = D.privacy
    auto_publish: bool = D.auto_publish
    # Autopilot: keep videos made for the publish slots of the next N days (cadence_per_day
    # spread over the day in ``timezone``, an IANA name such as "Europe/Berlin").
    autopilot: bool = D.autopilot
    autopilot_buffer_days: int = Field(default=D.autopilot_buffer_days, ge=1, le=14)
    timezone: str = Field(default=D.timezone, min_length=1, max_length=64)
    # Media retention: published videos' intermediates (stills, voice) are pruned this many
    # days after publishing (None: kept forever); the MP4 too with prune_mp4.
    media_retention_days: int | None = Field(default=None, ge=1, le=3650)
    prune_mp4: bool = False


# In a partial update a field may be left out, but only youtube_channel_id may be null
# (to unlink it): the schema does not offer null for the others, and null is a 422.
NoNull = SkipJsonSchema[None]


class ChannelUpdate(ChannelBase):
    name: str | NoNull = Field(default=None, min_length=1, max_length=100)
    niche: str | NoNull = Field(default=None, min_length=1, max_length=200)
    language: str | NoNull = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    status: ChannelStatus | NoNull = None
    youtube_channel_id: str | None = Field(default=None, pattern=r"^UC[\w-]{22}$")
    format: VideoFormat | NoNull = None
    cadence_per_day: float | NoNull = Field(default=None, gt=0, le=24)
    daily_budget_usd: Budget | NoNull = Field(default=None, ge=0, le=100000, decimal_places=4)
    monthly_budget_usd: Budget | NoNull = Field(default=None, ge=0, le=1000000, decimal_places=4)
    quality_threshold: float | NoNull = Field(default=None, ge=0, le=1)
    voice_settings: VoiceSettings | NoNull = None
    style_settings: StyleSettings | NoNull = None
    made_for_kids: bool | NoNull = None
    privacy: Privacy | NoNull = None
    auto_publish: bool | NoNull = None
    autopilot: bool | NoNull = None
    autopilot_buffer_days: int | NoNull = Field(default=None, ge=1, le=14)
    timezone: str | NoNull = Field(default=None, min_length=1, max_length=64)
    media_retention_days: int | None = Field(default=None, ge=1, le=3650)  # null: keep forever
    prune_mp4: bool | NoNull = None

    @field_validator(
        "name",
        "niche",
        "language",
        "status",
        "format",
        "cadence_per_day",
        "daily_budget_usd",
        "monthly_budget_usd",
        "quality_threshold",
        "voice_settings",
        "style_settings",
        "made_for_kids",
        "privacy",
        "auto_publish",
        "autopilot",
        "autopilot_buffer_days",
        "timezone",
        "prune_mp4",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    niche: str
    language: str
    status: ChannelStatus
    pause_reason: str | None
    youtube_channel_id: str | None
    youtube_connected: bool = False  # a grant that works (not one that needs reconnecting)
    youtube_connection: str = "not_connected"  # not_connected | connected | needs_reconnect
    youtube_channel_title: str | None = None
    youtube_connection_reason: str | None = None
    made_for_kids: bool | None
    privacy: Privacy
    auto_publish: bool
    autopilot: bool
    autopilot_buffer_days: int
    timezone: str
    media_retention_days: int | None = None
    prune_mp4: bool = False
    format: VideoFormat
    cadence_per_day: float
    daily_budget_usd: float
    monthly_budget_usd: float
    quality_threshold: float
    voice_settings: VoiceSettings
    style_settings: StyleSettings
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class ChannelList(BaseModel):
    items: list[ChannelOut]
    limit: int
    used: int


class VoiceOut(BaseModel):
    """A voice a channel can use here; ``served_by`` maps model ids to their own voice."""

    id: str
    label: str
    group: str
    language: str | None
    served_by: dict[str, str]
    preview_url: str


class DeletePreviewOut(BaseModel):
    videos: int
    cancelled: int  # queued, running or in review: cancelled by the delete
    running: int
    kept: int  # finished or stopped: rows and media stay
    summary: list[str]
