"""All sources of one deployment, built from settings (tests pass their own transports)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis

from backend.niches.discovery.runtime import SOURCES, SourcePolicy, SourceRuntime, read_health
from backend.niches.discovery.sources.google_trends import GoogleTrendsSource
from backend.niches.discovery.sources.reddit import RedditSource
from backend.niches.discovery.sources.rss import RSSSource, parse_feed_setting
from backend.niches.discovery.sources.youtube import YouTubeQuota, YouTubeSource
from backend.settings import Settings


@dataclass
class Sources:
    youtube: YouTubeSource
    trends: GoogleTrendsSource
    reddit: RedditSource
    rss: RSSSource


def policy(settings: Settings, per_minute: int) -> SourcePolicy:
    return SourcePolicy(
        per_minute=per_minute,
        max_retries=settings.discovery_max_retries,
        backoff_s=settings.discovery_backoff_seconds,
        max_backoff_s=settings.discovery_max_backoff_seconds,
        cache_s=settings.discovery_cache_seconds,
    )


def build_sources(
    settings: Settings,
    connection: redis.Redis,
    *,
    youtube_http: Any = None,
    trends_client: httpx.Client | None = None,
    reddit_client: httpx.Client | None = None,
    rss_client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Sources:
    def runtime(name: str, per_minute: int) -> SourceRuntime:
        return SourceRuntime(name, connection, policy(settings, per_minute), sleep=sleep)

    timeout = settings.discovery_timeout_seconds
    quota = YouTubeQuota(connection, settings.youtube_daily_quota, settings.youtube_quota_reserve)
    return Sources(
        youtube=YouTubeSource(
            runtime("youtube", settings.discovery_rate_youtube_per_minute),
            quota,
            settings.youtube_api_key,
            http=youtube_http,
            timeout_s=timeout,
        ),
        trends=GoogleTrendsSource(
            runtime("google_trends", settings.discovery_rate_trends_per_minute),
            settings.google_trends_url,
            geo=settings.google_trends_geo,
            prop=settings.google_trends_property,
            client=trends_client,
            timeout_s=timeout,
        ),
        reddit=RedditSource(
            runtime("reddit", settings.discovery_rate_reddit_per_minute),
            settings.reddit_client_id,
            settings.reddit_client_secret,
            settings.reddit_user_agent,
            client=reddit_client,
            timeout_s=timeout,
        ),
        rss=RSSSource(
            runtime("rss", settings.discovery_rate_rss_per_minute),
            parse_feed_setting(settings.discovery_rss_feeds),
            client=rss_client,
            timeout_s=timeout,
        ),
    )


def health(settings: Settings, connection: redis.Redis) -> list[dict[str, Any]]:
    """Each source's health record, with whether it is configured at all."""
    configured = {
        "youtube": bool(settings.youtube_api_key),
        "google_trends": bool(settings.google_trends_url),
        "reddit": bool(settings.reddit_client_id and settings.reddit_client_secret),
        "rss": bool(settings.discovery_rss_feeds.strip()),
    }
    records = []
    for name in SOURCES:
        record = read_health(connection, name) | {"configured": configured[name]}
        if name == "youtube":
            quota = YouTubeQuota(
                connection, settings.youtube_daily_quota, settings.youtube_quota_reserve
            )
            record["quota"] = {
                "used": quota.used(),
                "daily": quota.daily,
                "reserve": quota.reserve,
                "remaining": quota.remaining(),
            }
        records.append(record)
    return records
