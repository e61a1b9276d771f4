"""What one more video of a channel will cost, from its recent ledger.

The forecast is the **median** of the ledger totals (every ``cost_events`` line of the
video, all stages and tries) of the channel's last ``SAMPLE`` videos that finished
production (``completed_at`` set). The median, not the mean, so one runaway video (a
regenerated script, a retried render) does not stop the autopilot for days.

Fallbacks, in order, when the channel has finished no video yet:
1. the median of the last ``SAMPLE`` finished videos of every channel on this appliance
   (same models, same hardware: the best guess for a new channel);
2. ``YTE_AUTOPILOT_DEFAULT_VIDEO_COST_USD`` (0.50 by default) on a fresh appliance.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.autopilot import repository

SAMPLE = 10
CENT = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Forecast:
    usd: Decimal
    basis: str  # channel | appliance | default
    samples: int

    def describe(self) -> str:
        if self.basis == "default":
            return f"${self.usd:.4f} (default; no finished video yet)"
        whose = "this channel's" if self.basis == "channel" else "the appliance's"
        return f"${self.usd:.4f} (median of {whose} last {self.samples} finished videos)"


def median(values: list[Decimal]) -> Decimal:
    return Decimal(statistics.median(values)).quantize(CENT)


async def video_cost(session: AsyncSession, channel_id: uuid.UUID, default_usd: float) -> Forecast:
    own = await repository.finished_video_costs(session, channel_id, SAMPLE)
    if own:
        return Forecast(median(own), "channel", len(own))
    return await appliance_cost(session, default_usd)


async def appliance_cost(session: AsyncSession, default_usd: float) -> Forecast:
    every = await repository.finished_video_costs(session, None, SAMPLE)
    if every:
        return Forecast(median(every), "appliance", len(every))
    return Forecast(Decimal(str(default_usd)).quantize(CENT), "default", 0)
