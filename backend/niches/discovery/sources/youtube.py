"""YouTube Data API v3 (google-api-python-client): demand and competition for a query.

Quota: search.list costs 100 units, videos.list and channels.list 1 each. Units are counted
in Redis per Pacific-time day (when Google resets them) and a call that would leave less
than the reserve is refused before it is sent.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
import redis
import structlog
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend.niches.discovery.errors import (
    MalformedResponse,
    QuotaExhausted,
    Retryable,
    SourceError,
)
from backend.niches.discovery.runtime import PREFIX, SourceRuntime, parse_retry_after
from backend.niches.metrics import YOUTUBE_QUOTA_UNITS

log = structlog.get_logger(__name__)

NAME = "youtube"
QUOTA_COST = {"search.list": 100, "videos.list": 1, "channels.list": 1}
COMPETITION_UNITS = sum(QUOTA_COST.values())
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
PACIFIC = ZoneInfo("America/Los_Angeles")


class YouTubeQuota:
    """Units spent today (Pacific time), shared by every worker through Redis."""

    def __init__(
        self,
        connection: redis.Redis,
        daily: int,
        reserve: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.redis = connection
        self.daily = daily
        self.reserve = reserve
        self.clock = clock

    @property
    def key(self) -> str:
        return f"{PREFIX}:youtube:quota:{self.clock().astimezone(PACIFIC).date().isoformat()}"

    @property
    def budget(self) -> int:
        return max(self.daily - self.reserve, 0)

    def used(self) -> int:
        return int(self.redis.get(self.key) or 0)

    def remaining(self) -> int:
        return max(self.budget - self.used(), 0)

    def check(self, units: int) -> None:
        if self.used() + units > self.budget:
            raise QuotaExhausted(
                NAME,
                f"{units} units would exceed today's budget "
                f"({self.used()}/{self.budget} used, {self.reserve} reserved)",
            )

    def spend(self, method: str, units: int) -> None:
        """Count the units before the call; refuse (and give them back) past the budget."""
        key = self.key
        total = int(self.redis.incrby(key, units))
        if total == units:
            self.redis.expire(key, 60 * 60 * 26)
        if total > self.budget:
            self.redis.decrby(key, units)
            raise QuotaExhausted(
                NAME,
                f"{method} ({units} units) refused: {total - units}/{self.budget} units used today",
            )
        YOUTUBE_QUOTA_UNITS.labels(method).inc(units)

    def exhaust(self) -> None:
        """The API said the quota is spent: nothing more today."""
        self.redis.set(self.key, self.daily, ex=60 * 60 * 26)


class YouTubeSource:
    name = NAME

    def __init__(
        self,
        runtime: SourceRuntime,
        quota: YouTubeQuota,
        api_key: str | None,
        *,
        http: Any = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.runtime = runtime
        self.quota = quota
        self.api_key = api_key
        self.http = http
        self.timeout_s = timeout_s
        self._service: Any = None

    def service(self) -> Any:
        if self._service is None:
            http = self.http or httplib2.Http(timeout=self.timeout_s)
            self._service = build(
                "youtube",
                "v3",
                developerKey=self.api_key,
                http=http,
                cache_discovery=False,
                static_discovery=True,
            )
        return self._service

    def competition(self, query: str, *, days: int = 30, top: int = 10) -> dict[str, Any]:
        """Recent supply for ``query`` and the strength of the channels behind its top videos.

        ``recent_videos``: videos published in the last ``days`` (the API's estimate);
        ``videos``: the most viewed of them with view counts; ``median_subscribers`` of their
        channels.
        """
        if not self.api_key:
            raise self.runtime.skip("YTE_YOUTUBE_API_KEY is not set")
        self.quota.check(COMPETITION_UNITS)
        after = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)
        params = {
            "q": query,
            "part": "snippet",
            "type": "video",
            "order": "viewCount",
            "maxResults": top,
            "publishedAfter": after.date().isoformat() + "T00:00:00Z",
        }
        search = self.runtime.call(
            "search",
            {k: v for k, v in params.items() if k != "publishedAfter"} | {"days": days},
            lambda: _parse_search(
                self._execute("search.list", self.service().search().list(**params))
            ),
        )
        total, hits = int(search["total"]), list(search["hits"])
        ids = [h["id"] for h in hits]
        stats = self._videos(ids) if ids else {}
        channel_ids = sorted({h["channel_id"] for h in hits})
        subscribers = self._channels(channel_ids) if channel_ids else {}
        videos = [
            h
            | {
                "views": stats.get(h["id"], 0),
                "channel_subscribers": subscribers.get(h["channel_id"], 0),
            }
            for h in hits
        ]
        videos.sort(key=lambda v: v["views"], reverse=True)
        return {
            "query": query,
            "days": days,
            "recent_videos": total,
            "videos": videos,
            "median_subscribers": statistics.median(subscribers.values()) if subscribers else 0,
            "median_views": statistics.median(stats.values()) if stats else 0,
        }

    def _videos(self, ids: list[str]) -> dict[str, int]:
        request = self.service().videos().list(part="statistics", id=",".join(ids))
        data = self.runtime.call(
            "videos", ids, lambda: _statistics(self._execute("videos.list", request), "viewCount")
        )
        return {str(k): int(v) for k, v in data.items()}

    def _channels(self, ids: list[str]) -> dict[str, int]:
        request = self.service().channels().list(part="statistics", id=",".join(ids))
        data = self.runtime.call(
            "channels",
            ids,
            lambda: _statistics(self._execute("channels.list", request), "subscriberCount"),
        )
        return {str(k): int(v) for k, v in data.items()}

    def _execute(self, method: str, request: Any) -> Any:
        self.quota.spend(method, QUOTA_COST[method])
        try:
            return request.execute(num_retries=0)
        except HttpError as exc:
            raise self._translate(method, exc) from exc
        except (httplib2.HttpLib2Error, OSError, TimeoutError) as exc:
            raise Retryable(NAME, f"{method}: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # the client could not decode the body
            raise MalformedResponse(NAME, f"{method}: undecodable response: {exc}") from exc

    def _translate(self, method: str, exc: HttpError) -> SourceError:
        status = int(exc.resp.status)
        reason = _error_reason(exc.content)
        if status == 403 and reason in QUOTA_REASONS:
            self.quota.exhaust()
            return QuotaExhausted(NAME, f"{method}: the API reports {reason}")
        if (
            status == 429
            or status >= 500
            or reason in {"rateLimitExceeded", "userRateLimitExceeded"}
        ):
            retry_after = parse_retry_after(exc.resp.get("retry-after"))
            return Retryable(NAME, f"{method}: HTTP {status} {reason or ''}".strip(), retry_after)
        return SourceError(NAME, f"{method}: HTTP {status} {reason or exc.reason}")


def _error_reason(content: bytes) -> str | None:
    try:
        errors = json.loads(content)["error"]["errors"]
        return str(errors[0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _parse_search(data: Any) -> dict[str, Any]:
    try:
        total = int(data["pageInfo"]["totalResults"])
        hits = [
            {
                "id": str(item["id"]["videoId"]),
                "title": str(item["snippet"]["title"]),
                "channel_id": str(item["snippet"]["channelId"]),
                "channel_title": str(item["snippet"].get("channelTitle", "")),
                "published_at": str(item["snippet"]["publishedAt"]),
            }
            for item in data["items"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(NAME, f"search.list: unexpected shape ({exc!r})") from exc
    return {"total": total, "hits": hits}


def _statistics(data: Any, field: str) -> dict[str, int]:
    try:
        return {str(item["id"]): int(item["statistics"].get(field, 0)) for item in data["items"]}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(NAME, f"{field}: unexpected shape ({exc!r})") from exc
