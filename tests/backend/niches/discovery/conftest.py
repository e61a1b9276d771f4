from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from backend.niches.discovery.runtime import SourcePolicy, SourceRuntime
from tests.conftest import REDIS_URL, require_redis

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def conn() -> Iterator[redis.Redis]:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class Sleeps(list[float]):
    """Records the waits a runtime asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_runtime(conn: redis.Redis, sleeps: Sleeps):  # type: ignore[no-untyped-def]
    def make(source: str, **policy: float) -> SourceRuntime:
        values = {
            "per_minute": 100,
            "max_retries": 2,
            "backoff_s": 1.0,
            "max_backoff_s": 30.0,
            "cache_s": 3600,
        } | policy
        return SourceRuntime(source, conn, SourcePolicy(**values), sleep=sleeps)  # type: ignore[arg-type]

    return make
