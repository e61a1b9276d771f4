"""crisis_manager: stops spending when things go wrong.

Before a stage it refuses work on a paused channel or one already at its budget (the
budget watcher records the ``cost.alert`` and pauses it); after a failure it counts
consecutive failures and pauses the channel when they reach the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels.service import set_status
from backend.costs.budget import check_budgets
from backend.events.bus import record_event
from backend.models import Channel, ChannelStatus

log = structlog.get_logger(__name__)

FAILURE_PAUSE_PREFIX = "consecutive_failures"


@dataclass(frozen=True, slots=True)
class Verdict:
    proceed: bool
    reason: str | None = None


class CrisisManager:
    def __init__(self, max_consecutive_failures: int = 3) -> None:
        self.max_consecutive_failures = max_consecutive_failures

    async def before_work(
        self, session: AsyncSession, connection: redis.Redis | None, channel: Channel
    ) -> Verdict:
        if channel.deleted_at is not None:
            return Verdict(False, "channel deleted")
        if channel.status != ChannelStatus.active:
            return Verdict(False, f"channel paused ({channel.pause_reason or 'owner'})")
        statuses = await check_budgets(session, connection, channel.id)
        if statuses and statuses[0].exceeded:
            return Verdict(False, "budget exhausted")
        return Verdict(True)

    async def on_failure(
        self, session: AsyncSession, connection: redis.Redis | None, channel: Channel, error: str
    ) -> bool:
        """Count a failed video; pause the channel at the limit. Returns True if paused."""
        channel.consecutive_failures += 1
        if (
            channel.consecutive_failures < self.max_consecutive_failures
            or channel.status != ChannelStatus.active
        ):
            return False
        set_status(channel, ChannelStatus.paused, reason=FAILURE_PAUSE_PREFIX)
        channel.consecutive_failures = self.max_consecutive_failures
        await record_event(
            session,
            connection,
            user_id=channel.owner_id,
            channel_id=channel.id,
            type="channel.paused",
            severity="critical",
            message=(
                f"{channel.name} paused after {self.max_consecutive_failures} failed videos in "
                f"a row; last error: {error[:200]}"
            ),
            data={"reason": FAILURE_PAUSE_PREFIX},
        )
        log.warning("crisis.channel_paused", channel_id=str(channel.id))
        return True

    def on_success(self, channel: Channel) -> None:
        channel.consecutive_failures = 0
