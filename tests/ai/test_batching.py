"""Micro-batching: a short collection window, a maximum batch, errors to every waiter."""

from __future__ import annotations

import asyncio

import pytest

from ai.batching import MicroBatcher


def recorder(batches: list[list[int]]) -> MicroBatcher[str, int, int]:
    async def run(key: str, jobs: list[int]) -> list[int]:
        batches.append(list(jobs))
        await asyncio.sleep(0.01)
        return [job * 10 for job in jobs]

    return MicroBatcher(run, window_s=0.05, max_batch=3)


async def test_concurrent_jobs_with_one_key_share_a_call() -> None:
    batches: list[list[int]] = []
    batcher = recorder(batches)
    results = await asyncio.gather(batcher.submit("k", 1), batcher.submit("k", 2))
    assert results == [10, 20]
    assert batches == [[1, 2]]


async def test_max_batch_splits_and_keys_do_not_mix() -> None:
    batches: list[list[int]] = []
    batcher = recorder(batches)
    results = await asyncio.gather(
        *(batcher.submit("k", i) for i in range(5)), batcher.submit("other", 99)
    )
    assert results == [0, 10, 20, 30, 40, 990]
    assert sorted(batches, key=len) == [[99], [3, 4], [0, 1, 2]]


async def test_a_lone_job_waits_only_for_the_window() -> None:
    batches: list[list[int]] = []
    batcher = recorder(batches)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await batcher.submit("k", 7) == 70
    assert loop.time() - started < 0.5
    assert batches == [[7]]


async def test_a_failed_batch_fails_every_waiter() -> None:
    async def run(key: str, jobs: list[int]) -> list[int]:
        raise RuntimeError("device lost")

    batcher: MicroBatcher[str, int, int] = MicroBatcher(run, window_s=0.02, max_batch=4)
    results = await asyncio.gather(
        batcher.submit("k", 1), batcher.submit("k", 2), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_a_wrong_result_count_is_an_error_not_a_hang() -> None:
    async def run(key: str, jobs: list[int]) -> list[int]:
        return [1]

    batcher: MicroBatcher[str, int, int] = MicroBatcher(run, window_s=0.02, max_batch=4)
    with pytest.raises(RuntimeError, match="returned 1 results"):
        await asyncio.gather(batcher.submit("k", 1), batcher.submit("k", 2))
