"""YouTube Analytics API v2 ``reports.query``: the queries the sync sends and their answers.

Reports come back as ``columnHeaders`` (dimensions, then metrics, in the order asked) and
``rows``; :func:`parse_report` turns them into :class:`DayMetrics`, one per day and
channel or video. Days are Pacific-time dates, as YouTube Analytics counts them.

:class:`AnalyticsApi` runs the calls (blocking, in a thread) with bounded retries per
Google's guidance (``backend/publishing/policy.classify`` says what a failure is): 5xx,
429, rate limits and dropped connections back off with full jitter; a 401 refreshes the
token once, then the grant needs reconnecting; a quota answer stops the channel's sync
(the Analytics quota is not the Data API's, so it is not counted in ``quota_usage``);
any other 4xx is :class:`YouTubeRejected`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics.errors import AnalyticsQuotaExceeded, AnalyticsUnavailable
from backend.analytics.metrics import API_CALLS
from backend.publishing import clients
from backend.publishing.errors import NeedsReconnect, YouTubeRejected
from backend.publishing.policy import classify
from backend.publishing.service import ChannelGrant, refresh_grant
from backend.settings import Settings

log = structlog.get_logger(__name__)

MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
BASIC_METRICS: tuple[str, ...] = (
    "views",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "subscribersGained",
    "subscribersLost",
)
MONETARY_METRICS: tuple[str, ...] = (
    "estimatedRevenue",
    "estimatedAdRevenue",
    "cpm",
    "playbackBasedCpm",
)
# A report with the `video` dimension returns at most 200 rows (maxResults).
MAX_VIDEOS_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class DayMetrics:
    """One day of one channel (``video`` None) or video; money None means unknown."""

    day: date
    video: str | None
    views: int
    watch_time_minutes: float
    average_view_duration_seconds: float | None
    subscribers_gained: int
    subscribers_lost: int
    revenue_usd: Decimal | None = None
    ad_revenue_usd: Decimal | None = None
    cpm_usd: float | None = None
    playback_cpm_usd: float | None = None


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def parse_report(answer: dict[str, Any], *, day: date | None = None) -> list[DayMetrics]:
    """Rows of a report as :class:`DayMetrics`. ``day``: the day of a one-day report that
    has no ``day`` column (the per-video report of one day)."""
    names = [str(h.get("name")) for h in answer.get("columnHeaders") or []]
    out = []
    for raw in answer.get("rows") or []:
        row = dict(zip(names, raw, strict=True))
        when = date.fromisoformat(str(row["day"])) if "day" in row else day
        if when is None:
            raise ValueError("a report row without a day (ask for dimensions=day)")
        out.append(
            DayMetrics(
                day=when,
                video=str(row["video"]) if "video" in row else None,
                views=int(row.get("views") or 0),
                watch_time_minutes=float(row.get("estimatedMinutesWatched") or 0),
                average_view_duration_seconds=_number(row.get("averageViewDuration")),
                subscribers_gained=int(row.get("subscribersGained") or 0),
                subscribers_lost=int(row.get("subscribersLost") or 0),
                revenue_usd=_money(row.get("estimatedRevenue")),
                ad_revenue_usd=_money(row.get("estimatedAdRevenue")),
                cpm_usd=_number(row.get("cpm")),
                playback_cpm_usd=_number(row.get("playbackBasedCpm")),
            )
        )
    return out


def has_monetary_scope(grant: ChannelGrant) -> bool:
    return MONETARY_SCOPE in (grant.credentials.scopes or ())


def metrics_for(monetary: bool) -> str:
    return ",".join(BASIC_METRICS + (MONETARY_METRICS if monetary else ()))


class AnalyticsApi:
    """One channel's Analytics client (one HTTP connection: use it from one task at a time)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        grant: ChannelGrant,
        resource: Any,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.grant = grant
        self.resource = resource
        self.sleep = sleep
        self.rand = rand
        self.calls = 0
        self.retries = 0

    @classmethod
    async def build(
        cls, sessions: async_sessionmaker[AsyncSession], settings: Settings, grant: ChannelGrant
    ) -> AnalyticsApi:
        # The static discovery document is parsed here (never fetched): CPU, so a thread.
        resource = await asyncio.to_thread(clients.youtube_analytics, settings, grant.credentials)
        return cls(sessions, settings, grant, resource)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt))."""
        base = self.settings.youtube_upload_backoff_seconds
        ceiling = min(self.settings.youtube_upload_max_backoff_seconds, base * (2**attempt))
        return self.rand() * ceiling

    async def query(
        self,
        *,
        start: date,
        end: date,
        monetary: bool,
        dimensions: str,
        videos: Sequence[str] = (),
        report: str,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "ids": "channel==MINE",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "metrics": metrics_for(monetary),
            "dimensions": dimensions,
            "currency": "USD",
        }
        if videos:
            params["filters"] = "video==" + ",".join(videos)
        if dimensions == "video":
            params["sort"] = "-views"
            params["maxResults"] = min(len(videos) or MAX_VIDEOS_PER_QUERY, MAX_VIDEOS_PER_QUERY)
        else:
            params["sort"] = dimensions
        request = self.resource.reports().query(**params)
        return await self._run(request, report)

    async def _run(self, request: Any, report: str) -> dict[str, Any]:
        refreshed = False
        attempt = 0
        while True:
            self.calls += 1
            try:
                answer = await asyncio.to_thread(request.execute, num_retries=0)
                API_CALLS.labels(report=report, outcome="ok").inc()
                return dict(answer)
            except NeedsReconnect:
                raise
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
            API_CALLS.labels(report=report, outcome=failure.kind).inc()
            log.warning(
                "analytics.call.failed",
                channel_id=str(self.grant.channel_id),
                report=report,
                kind=failure.kind,
                status=failure.status,
                reason=failure.reason,
                message=failure.message[:200],
                attempt=attempt,
            )
            if failure.kind == "reject":
                raise YouTubeRejected(failure.status or 0, failure.reason, failure.message)
            if failure.kind == "quota":
                raise AnalyticsQuotaExceeded(failure.reason, failure.message)
            if failure.kind == "auth":
                if failure.reason == "invalid_grant" or refreshed:
                    raise NeedsReconnect(
                        f"{failure.reason}: {failure.message}".strip(": "),
                        channel_id=self.grant.channel_id,
                    )
                refreshed = True  # refresh_grant marks the channel on invalid_grant
                await refresh_grant(self.sessions, self.settings, self.grant)
                continue
            if attempt >= self.settings.analytics_max_retries:
                raise AnalyticsUnavailable(attempt + 1, f"{failure.reason} {failure.message}")
            self.retries += 1
            await self.sleep(self.backoff(attempt))
            attempt += 1
