"""Redis connections: the real server, or an in-process stand-in in embedded mode.

Both the RQ (sync) and the API (asyncio) clients of one process share one server, so a
job enqueued by the API is seen by the embedded worker, and throttling counters and
pub/sub events behave exactly as they do against a real Redis.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import fakeredis
import redis
import redis.asyncio as aioredis

from backend.settings import Settings

_embedded_server: fakeredis.FakeServer | None = None
_lock = threading.Lock()


def _server() -> fakeredis.FakeServer:
    global _embedded_server
    with _lock:
        if _embedded_server is None:
            _embedded_server = fakeredis.FakeServer()
        return _embedded_server


@dataclass
class RedisClients:
    sync: redis.Redis
    aio: aioredis.Redis

    async def close(self) -> None:
        await self.aio.aclose()
        self.sync.close()


def sync_redis(settings: Settings) -> redis.Redis:
    if settings.embedded:
        return fakeredis.FakeRedis(server=_server())
    return redis.Redis.from_url(settings.redis_url)


def async_redis(settings: Settings) -> aioredis.Redis:
    if settings.embedded:
        return fakeredis.FakeAsyncRedis(server=_server())
    return aioredis.Redis.from_url(settings.redis_url)


def connect(settings: Settings) -> RedisClients:
    return RedisClients(sync=sync_redis(settings), aio=async_redis(settings))
