"""Failed-login throttling with counters in Redis, per account and per client address."""

from __future__ import annotations

import redis.asyncio as aioredis

from backend.errors import TooManyRequests
from backend.observability.metrics import LOGIN_THROTTLED


class LoginThrottle:
    def __init__(self, client: aioredis.Redis, max_failures: int, window_seconds: int) -> None:
        self._redis = client
        self._max = max_failures
        self._window = window_seconds

    @staticmethod
    def _keys(email: str, address: str) -> tuple[str, str]:
        return (f"ytempire:login:fail:user:{email.lower()}", f"ytempire:login:fail:ip:{address}")

    async def check(self, email: str, address: str) -> None:
        user_key, ip_key = self._keys(email, address)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(user_key)
            pipe.get(ip_key)
            pipe.ttl(user_key)
            pipe.ttl(ip_key)
            user_count, ip_count, user_ttl, ip_ttl = await pipe.execute()
        # An address gets more room than an account: several people may share one.
        if int(user_count or 0) >= self._max or int(ip_count or 0) >= self._max * 4:
            LOGIN_THROTTLED.inc()
            retry_after = max(int(user_ttl or 0), int(ip_ttl or 0), 1)
            raise TooManyRequests(
                "Too many failed sign-in attempts; try again later",
                code="login_throttled",
                retry_after=retry_after,
            )

    async def failed(self, email: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, address):
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(self._keys(email, "")[0])
