"""Cost gauges for the API's ``/metrics``, read from the cost ledger when it is scraped.

Every process that serves a model call writes its charge to the ledger (the database), so
that is where the spend of all workers meets. On a scrape (through
``observability.metrics.ScrapeRefresher``: throttled and bounded) the API sets, per
channel, what it spent since the start of the UTC day and month and its budgets, the same
figures the budget watcher compares (``backend/costs/budget.py``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.channels import repository as channel_repository
from backend.costs.budget import period_starts
from backend.costs.repository import spend_since
from backend.db.base import utcnow

# By channel name, never id (no raw ids in /metrics); channels of different owners that
# share a name are summed (spend and budgets alike), so their ratio still means something.
LABELS = ["channel", "period"]
SPEND = Gauge(
    "ytempire_cost_spend_usd",
    "Spend in the current UTC period (day, month) per channel, from the cost ledger",
    LABELS,
)
BUDGET = Gauge("ytempire_cost_budget_usd", "A channel's budget per period (day, month)", LABELS)


async def refresh_gauges(
    sessions: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> None:
    day_start, month_start = period_starts(now or utcnow())
    async with sessions() as session:
        channels = await channel_repository.list_all(session)
        ids = [c.id for c in channels]
        day = await spend_since(session, ids, day_start)
        month = await spend_since(session, ids, month_start)
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for channel in channels:
        for period, spend, budget in (
            ("day", day.get(channel.id, Decimal(0)), channel.daily_budget_usd),
            ("month", month.get(channel.id, Decimal(0)), channel.monthly_budget_usd),
        ):
            total = totals[(channel.name, period)]
            total[0] += spend
            total[1] += budget
    SPEND.clear()  # a deleted channel goes; no await until every channel is set again
    BUDGET.clear()
    for (name, period), (spend, budget) in totals.items():
        SPEND.labels(channel=name, period=period).set(float(spend))
        BUDGET.labels(channel=name, period=period).set(float(budget))
