"""Redis connections: the real server, or an in-process stand-in in embedded mode.

Both the RQ (sync) and the API (asyncio) clients of one process share one server, so a
job enqueued by the API is seen by the embedded worker, and throttling counters and
pub/sub events behave exactly as they do against a real Redis.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import fakeredis
import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

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


# Bounded waits, and pooled connections that heal by themselves: a connection broken by a
# Redis restart fails its command once and is replaced at once (retried on a fresh
# connection), and one idle longer than the health-check interval is pinged before use.
# While Redis is down a command gives up within about a second (connect refused) or, in
# the API, the socket timeout (no answer), and the API turns that into a 503. Workers get
# no socket timeout: RQ blocks on BLPOP for minutes.
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0
HEALTH_CHECK_INTERVAL_S = 10
RETRIES = 2
_RETRY_ERRORS = (RedisConnectionError, RedisTimeoutError)


def _backoff() -> ExponentialWithJitterBackoff:
    return ExponentialWithJitterBackoff(base=0.05, cap=0.5)


def _options(socket_timeout: float | None) -> dict[str, Any]:
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "socket_timeout": socket_timeout,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        "retry_on_error": list(_RETRY_ERRORS),
    }


def sync_redis(settings: Settings, *, socket_timeout: float | None = None) -> redis.Redis:
    if settings.embedded:
        return fakeredis.FakeRedis(server=_server())
    retry = Retry(_backoff(), RETRIES, supported_errors=_RETRY_ERRORS)
    return redis.Redis.from_url(settings.redis_url, retry=retry, **_options(socket_timeout))


def async_redis(
    settings: Settings, *, socket_timeout: float | None = SOCKET_TIMEOUT_S
) -> aioredis.Redis:
    if settings.embedded:
        return fakeredis.FakeAsyncRedis(server=_server())
    retry = AsyncRetry(_backoff(), RETRIES, supported_errors=_RETRY_ERRORS)
    return aioredis.Redis.from_url(settings.redis_url, retry=retry, **_options(socket_timeout))


def connect(settings: Settings) -> RedisClients:
    """The API's clients (both with the socket timeout; no blocking commands here)."""
    return RedisClients(
        sync=sync_redis(settings, socket_timeout=SOCKET_TIMEOUT_S), aio=async_redis(settings)
    )
