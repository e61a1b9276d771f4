"""What must be true before a video goes to YouTube; each failed check is a reason it is held.

The upload stage checks these before its first byte (a video the autopilot or
``auto_publish`` sends is held with its reasons, never uploaded regardless), and the
"Publish now" action checks them first so that the owner hears the reasons at once.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.costs.budget import period_starts
from backend.costs.repository import spend_since
from backend.db.base import utcnow
from backend.models import (
    Channel,
    ChannelStatus,
    ConnectionStatus,
    StageRun,
    StageStatus,
    Video,
    VideoStage,
    YouTubeCredential,
)

MADE_FOR_KIDS_UNSET = (
    "the channel has not said whether its videos are made for kids: set 'made for kids' on "
    "the channel (YouTube requires it; there is no default)"
)
NOT_CONNECTED = (
    "the channel is not connected to YouTube: connect it on the channel page or with "
    "`ytempire channel connect CHANNEL_ID`"
)


def video_file(media_dir: Path, video: Video, render: StageRun | None) -> Path | None:
    """The rendered MP4 the render stage recorded, if it is there."""
    if render is None or render.status != StageStatus.succeeded:
        return None
    name = (render.artifacts or {}).get("video")
    if not name:
        return None
    path = media_dir / str(video.id) / name
    return path if path.is_file() else None


async def holds(
    session: AsyncSession, video: Video, channel: Channel, *, media_dir: Path
) -> list[str]:
    """Why ``video`` may not be uploaded now; an empty list means it may."""
    reasons: list[str] = []
    credential = (
        await session.execute(
            select(YouTubeCredential).where(YouTubeCredential.channel_id == channel.id)
        )
    ).scalar_one_or_none()
    if credential is None:
        reasons.append(NOT_CONNECTED)
    elif credential.status == ConnectionStatus.needs_reconnect:
        reasons.append(
            "YouTube access for the channel must be reconnected"
            + (f" ({credential.status_reason})" if credential.status_reason else "")
        )
    if channel.made_for_kids is None:
        reasons.append(MADE_FOR_KIDS_UNSET)
    if channel.deleted_at is not None:
        reasons.append("the channel was deleted")
    elif channel.status != ChannelStatus.active:
        reasons.append(f"the channel is paused ({channel.pause_reason or 'by its owner'})")
    reasons += await _over_budget(session, channel)
    render = (
        await session.execute(
            select(StageRun).where(
                StageRun.video_id == video.id, StageRun.stage == VideoStage.render
            )
        )
    ).scalar_one_or_none()
    if video_file(media_dir, video, render) is None:
        reasons.append(
            "the render check did not pass, or the rendered file is missing: make the video again"
        )
    score = video.quality_score
    if score is not None and score < channel.quality_threshold and video.approved_by is None:
        reasons.append(
            f"its quality {score:.2f} is under the channel's bar {channel.quality_threshold:.2f}"
            " and nobody approved it"
        )
    return reasons


async def _over_budget(session: AsyncSession, channel: Channel) -> list[str]:
    day_start, month_start = period_starts(utcnow())
    day = (await spend_since(session, [channel.id], day_start)).get(channel.id, Decimal(0))
    month = (await spend_since(session, [channel.id], month_start)).get(channel.id, Decimal(0))
    out = []
    if day >= channel.daily_budget_usd > 0:
        out.append(
            f"the channel is over its daily budget (${day:.2f} of ${channel.daily_budget_usd:.2f})"
        )
    if month >= channel.monthly_budget_usd > 0:
        out.append(
            f"the channel is over its monthly budget (${month:.2f} of "
            f"${channel.monthly_budget_usd:.2f})"
        )
    return out
