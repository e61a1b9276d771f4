"""The cost ledger: every model call and service charge is a row; budgets are checked after."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import redis
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.jobs.queues import QueueName, enqueue_after_commit
from backend.models import CostEvent


async def record_cost(
    session: AsyncSession,
    connection: redis.Redis | None,
    *,
    channel_id: uuid.UUID,
    amount_usd: Decimal | float,
    kind: str,
    provider: str,
    video_id: uuid.UUID | None = None,
    stage: str | None = None,
    units: float = 0.0,
    unit: str = "call",
    device_seconds: float = 0.0,
    occurred_at: datetime | None = None,
) -> CostEvent:
    amount = Decimal(str(amount_usd)).quantize(Decimal("0.000001"))
    if amount < 0:
        raise ValueError("a cost cannot be negative")
    event = CostEvent(
        id=uuid.uuid4(),
        channel_id=channel_id,
        video_id=video_id,
        stage=stage,
        kind=kind,
        provider=provider,
        units=units,
        unit=unit,
        device_seconds=device_seconds,
        amount_usd=amount,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(event)
    await session.flush()
    if connection is not None and amount > 0:
        enqueue_after_commit(
            session,
            connection,
            QueueName.maintenance,
            "backend.costs.tasks.watch_budgets",
            str(channel_id),
            job_id=f"budget-watch-{channel_id}",
        )
    return event
