"""Micro-batching: concurrent requests with the same key share one model call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
J = TypeVar("J")
R = TypeVar("R")


class MicroBatcher(Generic[K, J, R]):
    """Collect jobs per key for ``window_s`` (or until ``max_batch``), then run them together."""

    def __init__(
        self,
        run: Callable[[K, list[J]], Awaitable[list[R]]],
        window_s: float,
        max_batch: int,
        on_batch: Callable[[K, int], None] | None = None,
    ) -> None:
        self._run = run
        self.window_s = window_s
        self.max_batch = max(1, max_batch)
        self._on_batch = on_batch
        self._pending: dict[K, list[tuple[J, asyncio.Future[R]]]] = {}
        self._timers: dict[K, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: K, job: J) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        pending = self._pending.setdefault(key, [])
        pending.append((job, future))
        if len(pending) >= self.max_batch or self.window_s <= 0:
            self._flush(key)
        elif len(pending) == 1:
            self._timers[key] = loop.call_later(self.window_s, self._flush, key)
        return await future

    def _flush(self, key: K) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch = self._pending.pop(key, [])
        if not batch:
            return
        task = asyncio.ensure_future(self._execute(key, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, key: K, batch: list[tuple[J, asyncio.Future[R]]]) -> None:
        live = [(job, fut) for job, fut in batch if not fut.cancelled()]
        if not live:
            return
        if self._on_batch is not None:
            self._on_batch(key, len(live))
        try:
            results = await self._run(key, [job for job, _ in live])
            if len(results) != len(live):
                raise RuntimeError(f"batch of {len(live)} returned {len(results)} results")
        except BaseException as exc:
            for _, fut in live:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(live, results, strict=True):
            if not fut.done():
                fut.set_result(result)
