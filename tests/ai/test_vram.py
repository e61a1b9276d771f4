"""The VRAM manager: on-demand loads, LRU eviction within the budget, busy models pinned."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from ai.errors import BackendError, OutOfMemory
from ai.hardware import GIB
from ai.registry import ModelSpec
from ai.vram import ModelManager


@dataclass
class FakeModel:
    size: int
    device: str = "cuda"
    unloaded: list[str] = field(default_factory=list)
    name: str = ""

    def memory_bytes(self) -> int:
        return self.size

    def unload(self) -> None:
        self.unloaded.append(self.name)


def spec(model_id: str, gb: float) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        modality="text",
        backend="transformers",
        tier="local-gpu",
        path=model_id,
        vram_gb=gb,
    )


def manager(budget_gb: float, loads: list[str], unloaded: list[str]) -> ModelManager:
    def load(s: ModelSpec) -> FakeModel:
        loads.append(s.id)
        return FakeModel(int(s.vram_gb * GIB), unloaded=unloaded, name=s.id)

    return ModelManager(int(budget_gb * GIB), load)


async def test_models_load_once_on_first_use() -> None:
    loads: list[str] = []
    mm = manager(10, loads, [])
    for _ in range(3):
        async with mm.use(spec("a", 2)):
            pass
    assert loads == ["a"]
    assert mm.used_bytes == 2 * GIB


async def test_least_recently_used_is_evicted_first() -> None:
    loads: list[str] = []
    unloaded: list[str] = []
    mm = manager(10, loads, unloaded)
    a, b, c = spec("a", 4), spec("b", 4), spec("c", 4)
    async with mm.use(a):
        pass
    async with mm.use(b):
        pass
    async with mm.use(a):  # b is now the least recently used
        pass
    async with mm.use(c):
        pass
    assert unloaded == ["b"]
    assert sorted(mm.loaded()) == ["a", "c"]
    assert mm.used_bytes == 8 * GIB


async def test_several_models_are_evicted_for_a_big_one() -> None:
    unloaded: list[str] = []
    mm = manager(10, [], unloaded)
    for name in ("a", "b", "c"):
        async with mm.use(spec(name, 3)):
            pass
    async with mm.use(spec("big", 9)):
        pass
    assert unloaded == ["a", "b", "c"]
    assert list(mm.loaded()) == ["big"]


async def test_a_model_larger_than_the_budget_is_refused() -> None:
    loads: list[str] = []
    mm = manager(8, loads, [])
    with pytest.raises(OutOfMemory, match="budget"):
        async with mm.use(spec("huge", 17)):
            pass
    assert loads == []


async def test_a_busy_model_is_never_evicted() -> None:
    unloaded: list[str] = []
    mm = manager(6, [], unloaded)
    async with mm.use(spec("a", 4)):
        with pytest.raises(OutOfMemory, match="busy"):
            async with mm.use(spec("b", 4)):
                pass
    assert unloaded == []
    async with mm.use(spec("b", 4)):  # once idle, a can go
        pass
    assert unloaded == ["a"]


async def test_concurrent_first_uses_load_once_and_calls_are_serialized() -> None:
    loads: list[str] = []
    mm = manager(10, loads, [])
    active = 0
    peak = 0

    async def call() -> None:
        nonlocal active, peak
        async with mm.use(spec("a", 1)):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1

    await asyncio.gather(*(call() for _ in range(5)))
    assert loads == ["a"]
    assert peak == 1


async def test_a_failing_load_is_a_backend_error_and_reserves_nothing() -> None:
    def load(s: ModelSpec) -> FakeModel:
        raise RuntimeError("corrupt checkpoint")

    mm = ModelManager(10 * GIB, load)
    with pytest.raises(BackendError, match="corrupt checkpoint"):
        async with mm.use(spec("a", 1)):
            pass
    assert mm.used_bytes == 0 and not mm.loaded()


async def test_out_of_memory_while_loading_is_reported_as_such() -> None:
    def load(s: ModelSpec) -> FakeModel:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    mm = ModelManager(10 * GIB, load)
    with pytest.raises(OutOfMemory):
        async with mm.use(spec("a", 1)):
            pass


async def test_measured_size_counts_when_larger_than_the_estimate() -> None:
    mm = ModelManager(10 * GIB, lambda s: FakeModel(3 * GIB))
    async with mm.use(spec("a", 1)):
        pass
    assert mm.used_bytes == 3 * GIB


async def test_a_call_that_timed_out_keeps_its_model_pinned_until_the_thread_ends() -> None:
    import threading

    release = threading.Event()
    mm = manager(10, [], [])
    a = spec("a", 1)

    def slow(model: object) -> str:
        release.wait(5)
        return "done"

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(mm.run(a, slow), 0.05)
    entry = mm.loaded()["a"]
    assert entry.users == 1 and entry.run_lock.locked()
    assert not await mm.unload("a")  # busy: cannot be evicted
    release.set()
    for _ in range(100):
        if entry.users == 0:
            break
        await asyncio.sleep(0.01)
    assert entry.users == 0 and not entry.run_lock.locked()
    result, device, seconds = await mm.run(a, lambda model: "again")
    assert (result, device) == ("again", "cuda") and seconds >= 0
