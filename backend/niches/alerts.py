"""Watchlist alerts: a ``niche.alert`` for each watcher whose threshold a new score crossed."""

from __future__ import annotations

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.events.bus import record_event
from backend.models import Niche
from backend.niches import repository
from backend.niches.metrics import NICHE_ALERTS

log = structlog.get_logger(__name__)


async def check_alerts(
    session: AsyncSession, connection: redis.Redis | None, niche: Niche, previous: float | None
) -> int:
    """Record ``niche.alert`` for each watcher whose threshold the new score crossed upwards."""
    if niche.score is None:
        return 0
    fired = 0
    for entry in await repository.watchers_with_threshold(session, niche.id):
        threshold = float(entry.alert_threshold or 0.0)
        if niche.score < threshold or (previous is not None and previous >= threshold):
            continue
        now = utcnow()
        await record_event(
            session,
            connection,
            user_id=entry.user_id,
            type="niche.alert",
            message=f"{niche.name} scored {niche.score:.1f}, above your threshold {threshold:g}",
            data={
                "niche_id": str(niche.id),
                "score": niche.score,
                "previous": previous,
                "threshold": threshold,
            },
            dedup_key=f"niche.alert:{entry.id}:{now.isoformat()}",
        )
        entry.last_alerted_at = now
        fired += 1
        NICHE_ALERTS.inc()
    if fired:
        await session.flush()
        log.info("niche.alerts", niche_id=str(niche.id), score=niche.score, alerts=fired)
    return fired
