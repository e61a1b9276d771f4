"""A private ``redis-server`` for tests that stop and restart Redis (never the shared one).

A test module makes it a fixture with ``yield from running_redis(tmp_path)`` and overrides
``redis_url`` with its URL, so that ``settings`` (and every worker started from them)
point at it. Under CI (CI=true) a missing ``redis-server`` fails the test, never skips it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.test_hardening_outages import REDIS_SERVER, PrivateRedis
from tests.conftest import IN_CI

__all__ = ["PrivateRedis", "running_redis"]


def running_redis(directory: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: a missing service fails)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
