"""Google Trends, Reddit and RSS adapters through httpx MockTransport (recorded bodies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from backend.niches.discovery.errors import (
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceSkipped,
)
from backend.niches.discovery.runtime import read_health
from backend.niches.discovery.sources.google_trends import GoogleTrendsSource
from backend.niches.discovery.sources.reddit import RedditSource
from backend.niches.discovery.sources.rss import RSSSource, parse_feed_setting
from tests.backend.niches.discovery.conftest import FIXTURES, Sleeps, fixture_text

Handler = Callable[[httpx.Request], httpx.Response]


def trends_handler(calls: list[str]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/trends/api/explore":
            return httpx.Response(200, text=fixture_text("trends_explore.txt"))
        token = request.url.params["token"]
        if request.url.path.endswith("/multiline") and token.endswith("timeseries"):
            return httpx.Response(200, text=fixture_text("trends_multiline.txt"))
        if request.url.path.endswith("/relatedsearches") and token.endswith("related"):
            return httpx.Response(200, text=fixture_text("trends_related.txt"))
        return httpx.Response(400)

    return handle


def trends(make_runtime, handler: Handler, **policy: float) -> GoogleTrendsSource:  # type: ignore[no-untyped-def]
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return GoogleTrendsSource(
        make_runtime("google_trends", **policy), "https://trends.test", client=client
    )


def test_trends_interest_over_time(conn: redis.Redis, make_runtime: Any) -> None:
    calls: list[str] = []
    points = trends(make_runtime, trends_handler(calls)).interest_over_time("air fryer recipes")
    assert len(points) == 109  # the partial last week is dropped
    assert points[0] == {"ds": "2024-11-03", "y": points[0]["y"]}
    assert all(0 <= p["y"] <= 100 for p in points)
    assert calls == ["/trends/api/explore", "/trends/api/widgetdata/multiline"]
    assert read_health(conn, "google_trends")["status"] == "ok"


def test_trends_rising_queries(conn: redis.Redis, make_runtime: Any) -> None:
    rising = trends(make_runtime, trends_handler([])).rising_queries("air fryer recipes")
    assert rising[1] == {"query": "air fryer frozen dumplings", "value": 5000}
    assert rising[0]["query"] == "air fryer salmon bites"


def test_trends_429_honours_retry_after(
    conn: redis.Redis, make_runtime: Any, sleeps: Sleeps
) -> None:
    inner = trends_handler([])
    state = {"limited": 1}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["limited"]:
            state["limited"] -= 1
            return httpx.Response(429, headers={"Retry-After": "12"})
        return inner(request)

    assert trends(make_runtime, handler).interest_over_time("x")
    assert sleeps == [12.0]


def test_trends_retry_after_beyond_the_limit_fails_fast(
    conn: redis.Redis, make_runtime: Any, sleeps: Sleeps
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimited) as caught:
        trends(make_runtime, handler).interest_over_time("x")
    assert caught.value.retry_after == 3600 and sleeps == []
    assert read_health(conn, "google_trends")["status"] == "rate_limited"


def test_trends_server_errors_back_off_exponentially(
    conn: redis.Redis, make_runtime: Any, sleeps: Sleeps
) -> None:
    with pytest.raises(SourceError, match="after 2 retries"):
        trends(make_runtime, lambda r: httpx.Response(503)).interest_over_time("x")
    assert len(sleeps) == 2 and 1.0 <= sleeps[0] <= 1.1 and 2.0 <= sleeps[1] <= 2.2


@pytest.mark.parametrize(
    "body",
    [
        "<html>consent</html>",
        ')]}\'\n{"widgets": 5}',
        ')]}\',\n{"default": {"timelineData": [{"time": "x"}]}}',
    ],
)
def test_trends_malformed_payloads(conn: redis.Redis, make_runtime: Any, body: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/trends/api/explore" and "default" in body:
            return httpx.Response(200, text=fixture_text("trends_explore.txt"))
        return httpx.Response(200, text=body)

    with pytest.raises(MalformedResponse):
        trends(make_runtime, handler).interest_over_time("x")
    assert read_health(conn, "google_trends")["status"] == "malformed"


def test_trends_without_endpoint_is_skipped(conn: redis.Redis, make_runtime: Any) -> None:
    source = GoogleTrendsSource(make_runtime("google_trends"), "")
    with pytest.raises(SourceSkipped):
        source.interest_over_time("x")


def reddit(make_runtime, handler: Handler) -> RedditSource:  # type: ignore[no-untyped-def]
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return RedditSource(make_runtime("reddit"), "id", "secret", "ytempire-test/1", client=client)


def test_reddit_listing_with_app_only_token(conn: redis.Redis, make_runtime: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/access_token":
            assert request.headers["authorization"].startswith("Basic ")
            return httpx.Response(200, text=fixture_text("reddit_token.json"))
        assert request.headers["authorization"].startswith("bearer ")
        return httpx.Response(200, text=fixture_text("reddit_listing.json"))

    posts = reddit(make_runtime, handler).subreddit("cooking")
    assert [p["score"] for p in posts] == [4210, 1880, 950]
    assert posts[0]["url"].startswith("https://www.reddit.com/r/Cooking/")
    assert seen[1].url.path == "/r/cooking/top"
    assert seen[1].headers["user-agent"] == "ytempire-test/1"
    reddit(make_runtime, handler).search("hot sauce")  # the token is reused from Redis
    assert [r.url.path for r in seen].count("/api/v1/access_token") == 1


def test_reddit_429_then_garbage(conn: redis.Redis, make_runtime: Any, sleeps: Sleeps) -> None:
    answers = iter(
        [
            httpx.Response(200, text=fixture_text("reddit_token.json")),
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(200, text='{"kind": "Listing", "data": null}'),
        ]
    )
    with pytest.raises(MalformedResponse):
        reddit(make_runtime, lambda r: next(answers)).subreddit("cooking")
    assert sleeps == [3.0]


def test_reddit_without_credentials_is_skipped(conn: redis.Redis, make_runtime: Any) -> None:
    source = RedditSource(make_runtime("reddit"), None, None, "ua")
    with pytest.raises(SourceSkipped, match="REDDIT"):
        source.subreddit("cooking")


def test_rss_and_atom_from_files_and_http(conn: redis.Redis, make_runtime: Any) -> None:
    feeds = parse_feed_setting(
        f"cooking=file://{FIXTURES / 'feed.xml'}, science_education=https://feeds.test/space.atom"
    )
    client = httpx.Client(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, content=(FIXTURES / "feed.atom").read_bytes())
        )
    )
    source = RSSSource(make_runtime("rss"), feeds, client=client)
    titles = [e["title"] for e in source.entries("cooking")]
    assert titles == [
        "Why everyone is buying a dual-basket air fryer",
        "Sourdough discard crackers, three ways",
    ]
    assert source.entries("science_education")[0]["title"] == "Artemis launch window explained"
    assert source.entries("travel") == []


def test_rss_garbage_is_malformed(conn: redis.Redis, make_runtime: Any) -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html><body>not a feed"))
    )
    source = RSSSource(make_runtime("rss"), {"cooking": ["https://feeds.test/x"]}, client=client)
    with pytest.raises(MalformedResponse):
        source.entries("cooking")


def test_rss_feed_setting_rejects_bad_entries() -> None:
    with pytest.raises(ValueError, match="category=url"):
        parse_feed_setting("https://no-category.test/feed")


def test_shared_rate_limit_waits_for_the_next_window(
    conn: redis.Redis, make_runtime: Any, sleeps: Sleeps
) -> None:
    runtime = make_runtime("rss", per_minute=2, max_backoff_s=120)
    clock = iter([120.0, 121.0, 122.5, 180.0])
    runtime.clock = lambda: next(clock)
    runtime.acquire()
    runtime.acquire()
    runtime.acquire()  # third in the window: waits for the next minute
    assert sleeps == [57.5]
