from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class SlotOut(BaseModel):
    """A publish slot: when (UTC and the channel's local time), its video and status.

    ``status``: the video's status, or ``open`` (the autopilot will fill it), ``too_soon``
    (inside the lead time with no video) or ``off`` (autopilot is off for the channel).
    """

    at: datetime
    local_at: datetime
    video_id: uuid.UUID | None
    status: str
    title: str | None


class TickOut(BaseModel):
    """The channel's last autopilot tick: slots wanted and buffered, videos made, and why
    it stopped short (``skip_code`` None: the buffer was full)."""

    ticked_at: datetime
    wanted: int
    buffered: int
    made: int
    skip_code: str | None
    skip_reason: str | None
    details: dict[str, Any]


class ScheduleOut(BaseModel):
    channel_id: uuid.UUID
    autopilot: bool
    timezone: str
    cadence_per_day: float
    buffer_days: int
    slots: list[SlotOut]
    last_tick: TickOut | None
