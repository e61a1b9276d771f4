"""Raising and clearing alerts: one ``system.alert`` event per condition, recipient and
subject while it lasts, and a ``system.alert_resolved`` when it clears.

The open alert's state is its event's dedup key, ``alert:open:<code>:<subject>:<user>``
(unique in ``events``), so a condition that keeps firing is recorded once however often
the watcher runs and however many watchers run. Clearing renames the key to
``alert:closed:<event id>``, stamps ``data.resolved_at`` and records the resolution; the
next time the condition fires it is a new alert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import redis
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.alerts.conditions import Alert, Evaluation
from backend.alerts.metrics import ALERTS_RAISED, ALERTS_RESOLVED
from backend.events.bus import record_event
from backend.models import Event, User, UserRole

log = structlog.get_logger(__name__)

ALERT = "system.alert"
RESOLVED = "system.alert_resolved"
OPEN_PREFIX = "alert:open:"


def open_key(code: str, subject: str, user_id: uuid.UUID) -> str:
    return f"{OPEN_PREFIX}{code}:{subject}:{user_id}"


@dataclass
class Changes:
    opened: list[Alert] = field(default_factory=list)  # one per condition and subject
    resolved: list[Event] = field(default_factory=list)  # one per condition and subject


async def admin_ids(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(User.id).where(User.role == UserRole.admin, User.is_active.is_(True))
    )
    return list(rows.all())


async def open_alerts(session: AsyncSession, user_id: uuid.UUID | None = None) -> list[Event]:
    query = select(Event).where(Event.type == ALERT, Event.dedup_key.like(f"{OPEN_PREFIX}%"))
    if user_id is not None:
        query = query.where(Event.user_id == user_id)
    return list(await session.scalars(query.order_by(Event.occurred_at.desc())))


async def apply(
    session: AsyncSession,
    connection: redis.Redis | None,
    evaluation: Evaluation,
    now: datetime,
) -> Changes:
    """Record what newly fires, resolve what the checks that ran no longer see."""
    changes = Changes()
    admins = await admin_ids(session)
    existing = {str(e.dedup_key): e for e in await open_alerts(session)}
    firing: set[str] = set()
    opened: set[tuple[str, str]] = set()
    for alert in evaluation.firing:
        recipients = [alert.owner_id] if alert.owner_id is not None else admins
        for user_id in recipients:
            key = open_key(alert.code, alert.subject, user_id)
            firing.add(key)
            if key in existing:
                continue
            await record_event(
                session,
                connection,
                user_id=user_id,
                type=ALERT,
                severity=alert.severity,
                message=alert.message[:500],
                channel_id=alert.channel_id,
                video_id=alert.video_id,
                data={"code": alert.code, "subject": alert.subject, **alert.data},
                dedup_key=key,
            )
            if (alert.code, alert.subject) not in opened:
                opened.add((alert.code, alert.subject))
                changes.opened.append(alert)
                ALERTS_RAISED.labels(code=alert.code).inc()
                log.warning("alert.raised", code=alert.code, subject=alert.subject)
    cleared: set[tuple[str, str]] = set()
    for key, event in existing.items():
        code = str(event.data.get("code", ""))
        if key in firing or code not in evaluation.checked:
            continue
        await resolve(session, connection, event, now)
        subject = str(event.data.get("subject", ""))
        if (code, subject) not in cleared:
            cleared.add((code, subject))
            changes.resolved.append(event)
            ALERTS_RESOLVED.labels(code=code).inc()
            log.info("alert.resolved", code=code, subject=subject)
    return changes


async def resolve(
    session: AsyncSession, connection: redis.Redis | None, event: Event, now: datetime
) -> None:
    event.dedup_key = f"alert:closed:{event.id}"
    event.data = {**event.data, "resolved_at": now.isoformat()}
    await session.flush()
    await record_event(
        session,
        connection,
        user_id=event.user_id,
        type=RESOLVED,
        severity="info",
        message=f"Resolved: {event.message}"[:500],
        channel_id=event.channel_id,
        video_id=event.video_id,
        data={
            "code": event.data.get("code"),
            "subject": event.data.get("subject"),
            "alert_id": str(event.id),
            "raised_at": event.occurred_at.isoformat(),
        },
    )
