"""The cost ledger: every model call and service charge is a row; budgets are checked after.

One ledger type, :class:`Charge`, and one converter from the gateway's usage record
(:func:`charge_of`). A provider is always spelt ``backend:model`` (``gguf:smollm2-135m-instruct``,
``cpu:libx264``), so one model is one line of the ledger.

Each charge carries its own key, made when the call is served: the id of its
``cost_events`` row. :func:`record_charge` inserts it once (a second recording of the same
charge is a no-op), so a recording that is retried never counts twice. The pipeline
records a charge as soon as the call is served (``backend.costs.ledger.Ledger``), not when
the stage finishes: a call served by an attempt that then times out, is superseded or
whose worker dies is in the ledger all the same, and budgets read that ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ai.schemas import Served, Usage
from backend.db.base import utcnow
from backend.jobs.queues import QueueName, enqueue_after_commit
from backend.models import CostEvent

PROVIDER_LENGTH = 64  # cost_events.provider
UNIT_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Charge:
    """One line for the cost ledger, before it has a channel, video and stage."""

    kind: str  # text | image | speech | embeddings | render | ...
    provider: str  # backend:model, see provider_name
    units: float = 0.0
    unit: str = "call"
    device_seconds: float = 0.0
    cost_usd: float = 0.0
    # The idempotency key of this served call: its cost_events row id (made when served).
    key: uuid.UUID = field(default_factory=uuid.uuid4)


# Where an agent or step hands each charge the moment its call is served (the ledger).
OnCharge = Callable[[Charge], Awaitable[object]]


def provider_name(backend: str, model: str) -> str:
    """The one spelling of who served a charge: ``backend:model``."""
    return f"{backend or 'unknown'}:{model or 'unknown'}"[:PROVIDER_LENGTH]


# Usage field -> ledger unit, most telling first; a call that reports none is one "call".
UNITS: tuple[tuple[str, str], ...] = (
    ("total_tokens", "tokens"),
    ("completion_tokens", "tokens"),
    ("characters", "characters"),
    ("images", "images"),
)


def charge_of(kind: str, usage: Usage, served: Served) -> Charge:
    """The ledger line for one gateway call (its usage record and who served it)."""
    unit, units = "call", 1.0
    for attribute, name in UNITS:
        value = float(getattr(usage, attribute))
        if value:
            unit, units = name, value
            break
    return Charge(
        kind=kind,
        provider=provider_name(served.backend, served.model or kind),
        units=units,
        unit=unit,
        device_seconds=usage.device_seconds,
        cost_usd=usage.cost_usd,
    )


def total_cost(charges: list[Charge]) -> float:
    return round(sum(c.cost_usd for c in charges), 6)


def total_device_seconds(charges: list[Charge]) -> float:
    return round(sum(c.device_seconds for c in charges), 4)


async def record_charge(
    session: AsyncSession,
    connection: redis.Redis | None,
    charge: Charge,
    *,
    channel_id: uuid.UUID,
    video_id: uuid.UUID | None = None,
    stage: str | None = None,
) -> bool:
    """Insert the ledger row of ``charge`` unless it is there already (keyed by ``charge.key``).

    Returns True when this call inserted it. A charge with a cost also asks the budget
    watcher to look at the channel, after commit.
    """
    amount = _amount(charge.cost_usd)
    values: dict[str, Any] = {
        "id": charge.key,
        "channel_id": channel_id,
        "video_id": video_id,
        "stage": stage,
        "kind": charge.kind,
        "provider": charge.provider[:PROVIDER_LENGTH],
        "units": charge.units,
        "unit": charge.unit[:UNIT_LENGTH],
        "device_seconds": charge.device_seconds,
        "amount_usd": amount,
        "occurred_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(CostEvent).values(**values).on_conflict_do_nothing(index_elements=["id"])
    result = await session.execute(statement)
    inserted = bool(getattr(result, "rowcount", 0) == 1)
    if inserted and connection is not None and amount > 0:
        _watch_after_commit(session, connection, channel_id)
    return inserted


def _amount(amount_usd: Decimal | float) -> Decimal:
    amount = Decimal(str(amount_usd)).quantize(Decimal("0.000001"))
    if amount < 0:
        raise ValueError("a cost cannot be negative")
    return amount


def _watch_after_commit(
    session: AsyncSession, connection: redis.Redis, channel_id: uuid.UUID
) -> None:
    enqueue_after_commit(
        session,
        connection,
        QueueName.maintenance,
        "backend.costs.tasks.watch_budgets",
        str(channel_id),
        job_id=f"budget-watch-{channel_id}",
    )


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
    amount = _amount(amount_usd)
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
        _watch_after_commit(session, connection, channel_id)
    return event
