"""The autopilot's schedule of a channel: its upcoming publish slots and its last tick."""

from __future__ import annotations

from fastapi import APIRouter

from backend.autopilot import service
from backend.autopilot.schemas import ScheduleOut
from backend.channels import service as channel_service
from backend.db.base import utcnow
from backend.deps import CurrentUser, SessionDep, SettingsDep, parse_uuid

router = APIRouter(prefix="/channels", tags=["autopilot"])


@router.get("/{channel_id}/schedule")
async def channel_schedule(
    channel_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ScheduleOut:
    """The channel's publish slots of the next ``autopilot_buffer_days`` days (at least
    one), each with its video and status, and what the last autopilot tick did."""
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    return await service.schedule(session, channel, utcnow(), settings)
