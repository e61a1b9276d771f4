"""ScrapeRefresher: what /metrics runs before it renders is throttled, time-boxed, and a
failure leaves the scrape (and the last values) standing."""

from __future__ import annotations

import asyncio

import pytest

from backend.observability.metrics import ScrapeRefresher, refresh_before_scrape


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_refresh_runs_at_most_once_per_interval() -> None:
    calls: list[float] = []
    clock = Clock()

    async def refresh() -> None:
        calls.append(clock.now)

    refresher = ScrapeRefresher("t", refresh, min_interval_s=5.0, clock=clock)
    await refresher()
    await refresher()  # the same scrape burst: the values set a moment ago stand
    clock.now += 4.9
    await refresher()
    assert calls == [1000.0]
    clock.now += 0.2
    await refresher()
    assert calls == [1000.0, 1005.1]


async def test_a_slow_or_failing_refresh_is_cut_off_and_does_not_fail_the_scrape() -> None:
    clock = Clock()
    started = asyncio.Event()

    async def hangs() -> None:
        started.set()
        await asyncio.sleep(60)

    async def breaks() -> None:
        raise ConnectionRefusedError("database down")

    slow = ScrapeRefresher("slow", hangs, min_interval_s=0.0, timeout_s=0.05, clock=clock)
    broken = ScrapeRefresher("broken", breaks, min_interval_s=0.0, clock=clock)

    class State:
        metrics_refreshers = [slow, broken]

    await asyncio.wait_for(refresh_before_scrape(State()), 5)
    assert started.is_set()
    assert (slow.failures, broken.failures) == (1, 1)
    await refresh_before_scrape(State())
    assert (slow.failures, broken.failures) == (2, 2)  # each scrape tries again


async def test_concurrent_scrapes_share_one_refresh() -> None:
    running = 0
    most = 0

    async def refresh() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1

    refresher = ScrapeRefresher("t", refresh, min_interval_s=10.0)
    await asyncio.gather(*(refresher() for _ in range(5)))
    assert most == 1


async def test_an_app_without_refreshers_scrapes_as_before() -> None:
    await refresh_before_scrape(object())


@pytest.mark.parametrize("interval", [0.0, 5.0])
async def test_the_first_scrape_always_refreshes(interval: float) -> None:
    calls = 0

    async def refresh() -> None:
        nonlocal calls
        calls += 1

    await ScrapeRefresher("t", refresh, min_interval_s=interval)()
    assert calls == 1
