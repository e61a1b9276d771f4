"""YouTube adapter through google-api-python-client's HttpMockSequence (recorded bodies)."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from googleapiclient.http import HttpMockSequence

from backend.niches.discovery.errors import MalformedResponse, QuotaExhausted, SourceSkipped
from backend.niches.discovery.runtime import read_health
from backend.niches.discovery.sources.youtube import COMPETITION_UNITS, YouTubeQuota, YouTubeSource
from tests.backend.niches.discovery.conftest import Sleeps, fixture_text

OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def source(
    conn: redis.Redis,
    make_runtime: Any,
    responses: list[tuple[dict[str, str], str]],
    *,
    key: str | None = "test-key",
    daily: int = 10_000,
    reserve: int = 0,
) -> tuple[YouTubeSource, HttpMockSequence]:
    http = HttpMockSequence(responses)
    quota = YouTubeQuota(conn, daily, reserve)
    return YouTubeSource(make_runtime("youtube"), quota, key, http=http), http


def recorded() -> list[tuple[dict[str, str], str]]:
    return [
        (OK, fixture_text("youtube_search.json")),
        (OK, fixture_text("youtube_videos.json")),
        (OK, fixture_text("youtube_channels.json")),
    ]


def test_competition_reads_supply_views_and_channel_strength(
    conn: redis.Redis, make_runtime: Any
) -> None:
    yt, _ = source(conn, make_runtime, recorded())
    result = yt.competition("air fryer recipes")
    assert result["recent_videos"] == 48210
    assert [v["views"] for v in result["videos"]] == [1_250_000, 310_000, 40_000]
    assert result["videos"][0]["channel_subscribers"] == 2_400_000
    assert result["median_subscribers"] == (2_400_000 + 15_000) / 2
    assert result["median_views"] == 310_000
    assert yt.quota.used() == COMPETITION_UNITS == 102
    assert read_health(conn, "youtube")["status"] == "ok"


def test_answers_are_cached_and_cost_no_more_quota(conn: redis.Redis, make_runtime: Any) -> None:
    yt, _ = source(conn, make_runtime, recorded())
    first = yt.competition("air fryer recipes")
    again = yt.competition("air fryer recipes")  # the mock has no responses left
    assert again == first
    assert yt.quota.used() == 102


def test_refused_before_the_quota_runs_out(conn: redis.Redis, make_runtime: Any) -> None:
    yt, http = source(conn, make_runtime, [], daily=10_000, reserve=500)
    conn.set(yt.quota.key, 10_000 - 500 - 101)  # 101 units left, a lookup needs 102
    with pytest.raises(QuotaExhausted):
        yt.competition("air fryer recipes")
    assert http._iterable == []  # nothing was sent
    assert yt.quota.used() == 10_000 - 500 - 101


def test_quota_exceeded_answer_marks_the_day_spent(conn: redis.Redis, make_runtime: Any) -> None:
    yt, _ = source(
        conn, make_runtime, [({"status": "403"}, fixture_text("youtube_quota_exceeded.json"))]
    )
    with pytest.raises(QuotaExhausted, match="quotaExceeded"):
        yt.competition("air fryer recipes")
    assert yt.quota.used() == 10_000
    assert read_health(conn, "youtube")["status"] == "quota_exhausted"


def test_429_waits_for_retry_after_then_succeeds(
    conn: redis.Redis, make_runtime: Any, sleeps: Sleeps
) -> None:
    limited = ({"status": "429", "retry-after": "7"}, fixture_text("youtube_rate_limited.json"))
    yt, _ = source(conn, make_runtime, [limited, *recorded()])
    assert yt.competition("air fryer recipes")["recent_videos"] == 48210
    assert sleeps == [7.0]
    assert yt.quota.used() == 202  # the refused search was charged too


def test_malformed_payload_is_a_recorded_failure(conn: redis.Redis, make_runtime: Any) -> None:
    yt, _ = source(conn, make_runtime, [(OK, '{"items": [{"id": {}}]}')])
    with pytest.raises(MalformedResponse):
        yt.competition("air fryer recipes")
    health = read_health(conn, "youtube")
    assert health["status"] == "malformed" and health["calls_failed"] == 1


def test_without_a_key_the_source_is_skipped(conn: redis.Redis, make_runtime: Any) -> None:
    yt, _ = source(conn, make_runtime, [], key=None)
    with pytest.raises(SourceSkipped, match="YTE_YOUTUBE_API_KEY"):
        yt.competition("air fryer recipes")
    health = read_health(conn, "youtube")
    assert health["status"] == "skipped" and health["calls_failed"] == 0
