"""What the System page shows of alerting and disk: the open alerts, the delivery channels,
the last test send's results (kept a few minutes in Redis: the page is redirected to after
the POST), free space on the media disk and the last media prune."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy.ext.asyncio import AsyncSession

from backend.alerts.delivery import DeliveryResult, configured
from backend.alerts.service import open_alerts
from backend.media.disk import DiskUsage, usage
from backend.media.retention import last_prune
from backend.models import Event
from backend.settings import Settings

TEST_RESULT_TTL_S = 600


@dataclass(frozen=True)
class AlertPanel:
    open: list[Event]
    channels: list[str]
    last_test: list[dict[str, Any]] | None
    disk: DiskUsage
    disk_floor: float
    last_prune: dict[str, Any] | None


def _test_key(user_id: uuid.UUID) -> str:
    return f"ytempire:alerts:test:{user_id}"


def store_test(connection: redis.Redis, user_id: uuid.UUID, results: list[DeliveryResult]) -> None:
    body = json.dumps([asdict(r) for r in results])
    connection.set(_test_key(user_id), body, ex=TEST_RESULT_TTL_S)


def _last_test(connection: redis.Redis, user_id: uuid.UUID) -> list[dict[str, Any]] | None:
    raw = connection.get(_test_key(user_id))
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, list) else None


async def panel(
    session: AsyncSession, connection: redis.Redis, settings: Settings, user_id: uuid.UUID
) -> AlertPanel:
    return AlertPanel(
        open=await open_alerts(session, user_id),
        channels=configured(settings),
        last_test=_last_test(connection, user_id),
        disk=usage(settings.media_dir),
        disk_floor=settings.disk_free_alert_fraction,
        last_prune=_with_time(last_prune(connection)),
    )


def _with_time(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None or not isinstance(record.get("at"), str):
        return record
    return {**record, "at": datetime.fromisoformat(record["at"])}
