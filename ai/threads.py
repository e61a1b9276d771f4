"""Run a blocking generator in a worker thread and consume it from the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Failure:
    error: BaseException


class _Done:
    pass


async def iterate_in_thread(
    make_iterator: Callable[[], Iterator[T]], cancel: threading.Event
) -> AsyncIterator[T]:
    """Items as the thread produces them; closing the consumer sets ``cancel``."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[T | _Failure | _Done] = asyncio.Queue()

    def put(item: T | _Failure | _Done) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone; nobody is listening any more
            cancel.set()

    def pump() -> None:
        try:
            for item in make_iterator():
                if cancel.is_set():
                    break
                put(item)
        except BaseException as exc:
            put(_Failure(exc))
        finally:
            put(_Done())

    worker = loop.run_in_executor(None, pump)
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _Done):
                break
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        cancel.set()
        await asyncio.shield(worker)
