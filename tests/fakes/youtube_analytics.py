"""A fake YouTube Analytics API v2 (``reports.query``), served by the fake YouTube.

It registers ``GET /v2/reports`` (the path googleapiclient builds from the static
``youtubeAnalytics`` v2 discovery document) on a :class:`FakeYouTube` and answers in the
API's report shape: ``kind``, ``columnHeaders`` (the dimensions, then the metrics, in the
order asked) and ``rows``. The data is seeded: every (channel or video, day) has
deterministic numbers, which a test can override (:meth:`FakeAnalytics.set`) to play a
day whose numbers are still moving. What it honours:

* ``ids``: ``channel==MINE`` (or the caller's own channel id); the caller is the channel
  whose grant issued the bearer token.
* ``startDate``/``endDate`` (a day past ``available_through``, by default yesterday in
  Pacific time, has no data yet: Analytics lags), ``metrics`` (known names only),
  ``dimensions`` (none, ``day`` or ``video``), ``filters`` (``video==ID1,ID2``, at most
  500, only the caller's videos count), ``sort`` (``day``, ``views``, ``-views``) and
  ``maxResults`` (required, at most 200, with the ``video`` dimension).
* monetary metrics need the ``yt-analytics-monetary.readonly`` scope on the grant: without
  it, or for a channel in :attr:`FakeAnalytics.refuse_monetary`, the answer is 403.
* ``fake.fail_next("analytics", status, reason)`` injects an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.youtube_server import FakeYouTube, _error

REPORTS_PATH = "/v2/reports"
PACIFIC = ZoneInfo("America/Los_Angeles")
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
READ_SCOPES = frozenset(
    {
        ANALYTICS_SCOPE,
        MONETARY_SCOPE,
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/youtube",
    }
)
ADDITIVE = (
    "views",
    "estimatedMinutesWatched",
    "subscribersGained",
    "subscribersLost",
    "estimatedRevenue",
    "estimatedAdRevenue",
)
AVERAGED = ("cpm", "playbackBasedCpm")  # weighted by views when several days are summed
MONETARY = frozenset({"estimatedRevenue", "estimatedAdRevenue", "cpm", "playbackBasedCpm"})
INTEGER = frozenset(
    {
        "views",
        "estimatedMinutesWatched",
        "averageViewDuration",
        "subscribersGained",
        "subscribersLost",
    }
)
METRICS = frozenset({*ADDITIVE, *AVERAGED, "averageViewDuration"})
MAX_FILTER_IDS = 500
MAX_VIDEO_ROWS = 200


def pacific_today() -> dt.date:
    return dt.datetime.now(PACIFIC).date()


@dataclass(frozen=True)
class FakeVideo:
    channel: str
    first_day: dt.date


class FakeAnalytics:
    def __init__(self, fake: FakeYouTube, *, history_days: int = 400, lag_days: int = 1) -> None:
        self.fake = fake
        self.lock = threading.RLock()
        self.history_days = history_days  # a channel has data this many days back
        self.lag_days = lag_days
        self.available_through: dt.date | None = None  # None: today (Pacific) - lag_days
        self.videos: dict[str, FakeVideo] = {}
        self.overrides: dict[tuple[str, dt.date], dict[str, float]] = {}
        self.refuse_monetary: set[str] = set()  # channels refused although the scope is granted
        self.queries: list[dict[str, str]] = []
        fake.get_routes[REPORTS_PATH] = self.reports

    # -- seeding -----------------------------------------------------------------------------
    def add_video(self, channel: str, video_id: str, first_day: dt.date) -> None:
        with self.lock:
            self.videos[video_id] = FakeVideo(channel, first_day)

    def set(self, key: str, day: dt.date, **metrics: float) -> None:
        """Override metrics of a channel's or a video's day (the rest follows the seed)."""
        with self.lock:
            self.overrides.setdefault((key, day), {}).update(metrics)

    def last_day(self) -> dt.date:
        return self.available_through or pacific_today() - dt.timedelta(days=self.lag_days)

    def day_values(self, key: str, day: dt.date) -> dict[str, float]:
        """The seeded numbers of one channel or video on one day."""
        digest = hashlib.sha256(f"{key}|{day.isoformat()}".encode()).digest()
        seed = int.from_bytes(digest[:8], "big")
        views = 20 + seed % 980
        duration = 30 + (seed >> 12) % 270  # seconds
        rpm = 0.5 + ((seed >> 24) % 700) / 100  # dollars per 1,000 views
        revenue = round(views * rpm / 1000, 3)
        playback_cpm = round(rpm * 1.6, 3)
        values: dict[str, float] = {
            "views": views,
            "estimatedMinutesWatched": round(views * duration / 60),
            "averageViewDuration": duration,
            "subscribersGained": views // 50,
            "subscribersLost": views // 400,
            "estimatedRevenue": revenue,
            "estimatedAdRevenue": round(revenue * 0.85, 3),
            "cpm": round(playback_cpm * 1.25, 3),
            "playbackBasedCpm": playback_cpm,
        }
        with self.lock:
            values.update(self.overrides.get((key, day), {}))
        return values

    def requests_for(self, **match: str) -> list[dict[str, str]]:
        with self.lock:
            return [q for q in self.queries if all(q.get(k) == v for k, v in match.items())]

    # -- the endpoint ------------------------------------------------------------------------
    def reports(self, fake: FakeYouTube, query: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.queries.append(dict(query))
        fault = fake._fault("analytics")
        if fault is not None:
            return fault.status, _error(fault.status, fault.reason, fault.message)
        grant = fake.caller_grant()
        channel = str(grant.get("channel") or "")
        scopes = set(str(grant["scope"]).split()) if "scope" in grant else set(READ_SCOPES)
        if not scopes & READ_SCOPES:
            return _forbidden("Request had insufficient authentication scopes.")
        if query.get("ids") not in ("channel==MINE", f"channel=={channel}"):
            return _bad("ids must be channel==MINE or the caller's channel")
        try:
            start = dt.date.fromisoformat(query["startDate"])
            end = dt.date.fromisoformat(query["endDate"])
        except (KeyError, ValueError):
            return _bad("startDate and endDate (YYYY-MM-DD) are required")
        if start > end:
            return _bad("The start date must not be after the end date.")
        metrics = [m for m in query.get("metrics", "").split(",") if m]
        unknown = [m for m in metrics if m not in METRICS]
        if not metrics or unknown:
            return _bad(f"Unknown or missing metrics: {unknown or 'none given'}")
        if MONETARY & set(metrics) and (
            MONETARY_SCOPE not in scopes or channel in self.refuse_monetary
        ):
            return _forbidden("Forbidden")
        dimensions = [d for d in query.get("dimensions", "").split(",") if d]
        if len(dimensions) > 1 or (dimensions and dimensions[0] not in ("day", "video")):
            return _bad(f"Unsupported dimensions: {','.join(dimensions)}")
        dimension = dimensions[0] if dimensions else None
        keys, problem = self._keys(channel, query.get("filters", ""))
        if problem:
            return _bad(problem)
        limit = query.get("maxResults")
        if dimension == "video" and (not limit or not 1 <= int(limit) <= MAX_VIDEO_ROWS):
            return _bad(f"The video dimension needs maxResults between 1 and {MAX_VIDEO_ROWS}")
        last = min(end, self.last_day())
        cells = [
            (key, day, self.day_values(key, day))
            for key, first in keys
            for day in _days(max(start, first), last)
        ]
        rows = self._rows(cells, dimension, metrics)
        rows = _sorted(rows, query.get("sort", ""), dimension, metrics)
        if limit:
            rows = rows[: int(limit)]
        headers = [{"name": d, "columnType": "DIMENSION", "dataType": "STRING"} for d in dimensions]
        headers += [
            {
                "name": m,
                "columnType": "METRIC",
                "dataType": "INTEGER" if m in INTEGER else "FLOAT",
            }
            for m in metrics
        ]
        return 200, {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows}

    def _keys(self, channel: str, filters: str) -> tuple[list[tuple[str, dt.date]], str | None]:
        """The series a query covers: the channel, or the caller's videos in the filter."""
        if not filters:
            return [(channel, pacific_today() - dt.timedelta(days=self.history_days))], None
        name, _, values = filters.partition("==")
        if name != "video" or not values:
            return [], f"Unsupported filters: {filters}"
        ids = values.split(",")
        if len(ids) > MAX_FILTER_IDS:
            return [], f"At most {MAX_FILTER_IDS} videos in a filter"
        with self.lock:
            owned = [(v, self.videos[v]) for v in ids if v in self.videos]
        return [(v, video.first_day) for v, video in owned if video.channel == channel], None

    @staticmethod
    def _rows(
        cells: list[tuple[str, dt.date, dict[str, float]]],
        dimension: str | None,
        metrics: list[str],
    ) -> list[list[Any]]:
        groups: dict[str, list[dict[str, float]]] = {}
        for key, day, values in cells:
            label = {"day": day.isoformat(), "video": key}.get(dimension or "", "")
            groups.setdefault(label, []).append(values)
        rows = []
        for label, members in groups.items():
            total = _combine(members)
            row: list[Any] = [label] if dimension else []
            row += [total[m] for m in metrics]
            rows.append(row)
        return rows


def _combine(members: Iterable[dict[str, float]]) -> dict[str, float]:
    """One row's numbers from the days (and videos) it covers, as YouTube adds them up."""
    members = list(members)
    if len(members) == 1:
        return dict(members[0])
    total: dict[str, float] = {m: sum(v[m] for v in members) for m in ADDITIVE}
    views = total["views"]
    for m in AVERAGED:
        weighted = sum(v[m] * v["views"] for v in members)
        total[m] = round(weighted / views, 3) if views else 0.0
    total["averageViewDuration"] = (
        round(total["estimatedMinutesWatched"] * 60 / views) if views else 0
    )
    for m in ("estimatedRevenue", "estimatedAdRevenue"):
        total[m] = round(total[m], 3)
    for m in INTEGER:
        total[m] = int(total[m])
    return total


def _sorted(
    rows: list[list[Any]], sort: str, dimension: str | None, metrics: list[str]
) -> list[list[Any]]:
    if not sort:
        return sorted(rows, key=lambda r: r[0]) if dimension == "day" else rows
    name = sort.lstrip("-")
    columns = ([dimension] if dimension else []) + metrics
    if name not in columns:
        return rows
    index = columns.index(name)
    return sorted(rows, key=lambda r: r[index], reverse=sort.startswith("-"))


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _bad(message: str) -> tuple[int, Any]:
    return 400, _error(400, "badRequest", message)


def _forbidden(message: str) -> tuple[int, Any]:
    return 403, _error(403, "forbidden", message)
