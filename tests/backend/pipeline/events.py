"""Listen to an owner's Redis pub/sub channel while a pipeline test runs."""

from __future__ import annotations

import json
import threading
import uuid
from types import TracebackType
from typing import Any

import redis

from backend.events.bus import user_channel


class OwnerEvents:
    """Collects every event published to one owner's channel, in order, from a thread."""

    def __init__(self, redis_url: str, owner_id: uuid.UUID) -> None:
        self._client = redis.Redis.from_url(redis_url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(user_channel(owner_id))
        self._pubsub.get_message(timeout=1.0)  # the subscribe confirmation
        self.events: list[dict[str, Any]] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)

    def _listen(self) -> None:
        while not self._halt.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message and message.get("type") == "message":
                self.events.append(json.loads(message["data"]))

    def of(self, type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == type]

    def __enter__(self) -> OwnerEvents:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._halt.set()
        self._thread.join(2)
        self._pubsub.close()
        self._client.close()
