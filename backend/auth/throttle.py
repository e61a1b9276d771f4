"""Failed-login throttling in Redis: per account with a growing lockout, per address loosely.

An account that fails ``max_failures`` times within the window is locked for the window;
each further failure while it is still counted doubles the lockout, up to ``max_lockout``.
A correct password clears the account's counter. An address is refused only after
``max_failures_per_address`` failures in the window (many people can share one address),
so a stranger guessing random emails cannot lock a real owner out of their own account.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from backend.errors import TooManyRequests
from backend.observability.metrics import LOGIN_THROTTLED
from backend.settings import Settings

_PREFIX = "ytempire:login"


class LoginThrottle:
    def __init__(
        self,
        client: aioredis.Redis,
        max_failures: int,
        window_seconds: int,
        *,
        max_failures_per_address: int = 100,
        max_lockout_seconds: int = 3600,
    ) -> None:
        self._redis = client
        self._max = max_failures
        self._window = window_seconds
        self._max_address = max_failures_per_address
        self._max_lockout = max_lockout_seconds

    @staticmethod
    def _account(email: str) -> tuple[str, str]:
        account = email.strip().lower()
        return f"{_PREFIX}:fail:user:{account}", f"{_PREFIX}:lock:user:{account}"

    @staticmethod
    def _address(address: str) -> str:
        return f"{_PREFIX}:fail:ip:{address}"

    async def check(self, email: str, address: str) -> None:
        """Refuse (429 with Retry-After) while the account is locked or the address is over."""
        _, lock_key = self._account(email)
        ip_key = self._address(address)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.pttl(lock_key)
            pipe.get(ip_key)
            pipe.ttl(ip_key)
            lock_ms, ip_count, ip_ttl = await pipe.execute()
        retry_after = 0
        if int(lock_ms or 0) > 0:
            retry_after = max(1, -(-int(lock_ms) // 1000))
        if int(ip_count or 0) >= self._max_address:
            retry_after = max(retry_after, int(ip_ttl or 0), 1)
        if retry_after:
            LOGIN_THROTTLED.inc()
            raise TooManyRequests(
                "Too many failed sign-in attempts; try again later",
                code="login_throttled",
                retry_after=retry_after,
            )

    async def failed(self, email: str, address: str) -> None:
        fail_key, lock_key = self._account(email)
        ip_key = self._address(address)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(fail_key)
            pipe.incr(ip_key)
            pipe.expire(ip_key, self._window, nx=True)
            failures, _, _ = await pipe.execute()
        failures = int(failures)
        if failures < self._max:
            await self._redis.expire(fail_key, self._window)
            return
        lockout = min(self._window * 2 ** (failures - self._max), self._max_lockout)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(lock_key, b"1", ex=lockout)
            # The count outlives the lockout, so the next failure after it doubles again.
            pipe.expire(fail_key, lockout + self._window)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(*self._account(email))


def login_throttle(client: aioredis.Redis, settings: Settings) -> LoginThrottle:
    return LoginThrottle(
        client,
        settings.login_max_failures,
        settings.login_window_seconds,
        max_failures_per_address=settings.login_max_failures_per_address,
        max_lockout_seconds=settings.login_max_lockout_seconds,
    )
