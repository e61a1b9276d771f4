"""Owner-facing events: a row in ``events`` plus a Redis pub/sub message for the WebSocket.

Each owner has one pub/sub channel, so a socket subscribes only to its owner's events
and several API processes can serve sockets.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis
import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.db.session import after_commit
from backend.models import Event

EVENT_TYPES = frozenset(
    {
        "video.stage",
        "video.completed",
        "video.failed",
        "video.needs_review",
        "video.published",
        "video.publish_held",
        "video.publish_failed",
        "channel.needs_reconnect",
        "cost.alert",
        "channel.paused",
        "channel.resumed",
        "niche.alert",
        "backup.failed",
        "system.alert",  # backend/alerts: data.code names the condition; open until resolved
        "system.alert_resolved",
    }
)


def user_channel(user_id: uuid.UUID | str) -> str:
    return f"ytempire:events:{user_id}"


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, default=str, separators=(",", ":"))


def publish_sync(connection: redis.Redis, user_id: uuid.UUID, payload: dict[str, Any]) -> None:
    connection.publish(user_channel(user_id), encode(payload))


async def publish(connection: aioredis.Redis, user_id: uuid.UUID, payload: dict[str, Any]) -> None:
    await connection.publish(user_channel(user_id), encode(payload))


async def record_event(
    session: AsyncSession,
    connection: redis.Redis | None,
    *,
    user_id: uuid.UUID,
    type: str,
    message: str,
    severity: str = "info",
    channel_id: uuid.UUID | None = None,
    video_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> Event | None:
    """Store an event and publish it after commit. With a dedup key, at most once ever.

    Returns None when an event with the same dedup key already exists.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if dedup_key is not None:
        found = await session.scalar(select(Event.id).where(Event.dedup_key == dedup_key))
        if found is not None:
            return None
    event = Event(
        id=uuid.uuid4(),
        user_id=user_id,
        channel_id=channel_id,
        video_id=video_id,
        type=type,
        severity=severity,
        message=message,
        data=data or {},
        dedup_key=dedup_key,
        occurred_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    if connection is not None:
        payload = event_payload(event)
        after_commit(session, lambda: publish_sync(connection, user_id, payload))
    return event


def event_payload(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "severity": event.severity,
        "message": event.message,
        "channel_id": str(event.channel_id) if event.channel_id else None,
        "video_id": str(event.video_id) if event.video_id else None,
        "data": event.data,
        "occurred_at": event.occurred_at.isoformat(),
    }
