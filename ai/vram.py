"""The VRAM manager: load models on demand, evict the least recently used past the budget.

Every local model call goes through :meth:`ModelManager.use`, which loads the model
(in a worker thread) if needed, keeps it pinned while the call runs, and serializes
calls per model. The budget is the hardware profile's memory budget: VRAM on a GPU
box, the RAM the gateway may hold on a CPU-only one.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from ai.backends.base import LocalModel
from ai.backends.torch_utils import is_out_of_memory
from ai.errors import BackendError, OutOfMemory
from ai.hardware import GIB
from ai.metrics import (
    LOADED_BYTES,
    MEMORY_BUDGET,
    MEMORY_HELD,
    MODEL_EVICTIONS,
    MODEL_LOAD_SECONDS,
    MODEL_LOADS,
)
from ai.registry import ModelSpec

log = structlog.get_logger(__name__)
Loader = Callable[[ModelSpec], LocalModel]
T = TypeVar("T")


@dataclass
class LoadedEntry:
    spec: ModelSpec
    model: LocalModel
    reserved_bytes: int
    loaded_at: float
    last_used: float
    users: int = 0
    run_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ModelManager:
    def __init__(self, budget_bytes: int, loader: Loader) -> None:
        self.budget_bytes = budget_bytes
        self._loader = loader
        self._entries: OrderedDict[str, LoadedEntry] = OrderedDict()
        self._admission = asyncio.Lock()
        self.evictions: list[str] = []
        MEMORY_BUDGET.set(budget_bytes)

    @property
    def used_bytes(self) -> int:
        return sum(e.reserved_bytes for e in self._entries.values())

    def loaded(self) -> dict[str, LoadedEntry]:
        return dict(self._entries)

    @asynccontextmanager
    async def use(self, spec: ModelSpec) -> AsyncIterator[LocalModel]:
        entry = self._entries.get(spec.id) or await self._load(spec)
        entry.users += 1
        try:
            async with entry.run_lock:
                entry.last_used = time.monotonic()
                self._entries.move_to_end(spec.id)
                yield entry.model
        finally:
            entry.users -= 1

    async def run(self, spec: ModelSpec, call: Callable[[Any], T]) -> tuple[T, str, float]:
        """``call(model)`` in a worker thread: (result, device, seconds it ran).

        A thread cannot be interrupted: when the caller gives up (a timeout), the model stays
        pinned and locked until the thread is done, so nothing evicts it or runs beside it.
        """
        entry = self._entries.get(spec.id) or await self._load(spec)
        entry.users += 1
        try:
            await entry.run_lock.acquire()
        except BaseException:
            entry.users -= 1
            raise
        entry.last_used = time.monotonic()
        self._entries.move_to_end(spec.id)

        def timed() -> tuple[T, float]:
            started = time.perf_counter()
            value = call(entry.model)
            return value, time.perf_counter() - started

        def release(_: object) -> None:
            entry.run_lock.release()
            entry.users -= 1

        future = asyncio.get_running_loop().run_in_executor(None, timed)
        future.add_done_callback(release)
        value, seconds = await asyncio.shield(future)
        return value, entry.model.device, seconds

    async def unload(self, model_id: str) -> bool:
        entry = self._entries.get(model_id)
        if entry is None or entry.users:
            return False
        await self._evict(entry)
        return True

    async def unload_all(self) -> None:
        for entry in list(self._entries.values()):
            if not entry.users:
                await self._evict(entry)

    async def _load(self, spec: ModelSpec) -> LoadedEntry:
        async with self._admission:
            if spec.id in self._entries:  # loaded while we waited
                return self._entries[spec.id]
            need = int(spec.vram_gb * GIB)
            if need > self.budget_bytes:
                raise OutOfMemory(
                    f"{spec.id} needs {spec.vram_gb:g} GB, the profile's budget is "
                    f"{self.budget_bytes / GIB:.1f} GB"
                )
            await self._make_room(need, spec.id)
            started = time.perf_counter()
            try:
                model = await asyncio.to_thread(self._loader, spec)
            except BackendError:
                MODEL_LOADS.labels(model=spec.id, outcome="failed").inc()
                raise
            except Exception as exc:
                if is_out_of_memory(exc):
                    MODEL_LOADS.labels(model=spec.id, outcome="out_of_memory").inc()
                    raise OutOfMemory(f"{spec.id} ran out of memory while loading") from exc
                MODEL_LOADS.labels(model=spec.id, outcome="failed").inc()
                raise BackendError(f"{spec.id} failed to load: {exc}") from exc
            seconds = time.perf_counter() - started
            now = time.monotonic()
            reserved = max(need, model.memory_bytes())
            entry = LoadedEntry(spec, model, reserved, now, now)
            self._entries[spec.id] = entry
            MODEL_LOADS.labels(model=spec.id, outcome="ok").inc()
            MODEL_LOAD_SECONDS.labels(model=spec.id).observe(seconds)
            LOADED_BYTES.labels(model=spec.id).set(reserved)
            MEMORY_HELD.set(self.used_bytes)
            log.info(
                "ai.model.loaded",
                model=spec.id,
                seconds=round(seconds, 2),
                reserved_gb=round(reserved / GIB, 3),
                used_gb=round(self.used_bytes / GIB, 3),
            )
            return entry

    async def _make_room(self, need: int, for_model: str) -> None:
        while self.used_bytes + need > self.budget_bytes:
            idle = [e for e in self._entries.values() if e.users == 0]
            if not idle:
                raise OutOfMemory(
                    f"{for_model} needs {need / GIB:.1f} GB and every loaded model is busy "
                    f"({self.used_bytes / GIB:.1f} of {self.budget_bytes / GIB:.1f} GB)"
                )
            victim = min(idle, key=lambda e: e.last_used)
            log.info("ai.model.evict", model=victim.spec.id, for_model=for_model)
            MODEL_EVICTIONS.labels(model=victim.spec.id).inc()  # an unload is not an eviction
            await self._evict(victim)

    async def _evict(self, entry: LoadedEntry) -> None:
        self._entries.pop(entry.spec.id, None)
        self.evictions.append(entry.spec.id)
        LOADED_BYTES.labels(model=entry.spec.id).set(0)
        MEMORY_HELD.set(self.used_bytes)
        await asyncio.to_thread(entry.model.unload)
