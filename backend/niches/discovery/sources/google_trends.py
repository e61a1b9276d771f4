"""Google Trends interest over time through its public JSON endpoints (there is no official
API): ``/trends/api/explore`` hands out widget tokens, ``/trends/api/widgetdata/multiline``
the weekly series, ``/trends/api/widgetdata/relatedsearches`` the rising queries. Answers are
prefixed with ``)]}'`` (and sometimes a comma) against JSON hijacking."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from backend.niches.discovery.errors import MalformedResponse
from backend.niches.discovery.runtime import SourceRuntime
from backend.niches.discovery.sources.http import get, json_body

NAME = "google_trends"
XSSI_PREFIX = ")]}'"


class GoogleTrendsSource:
    name = NAME

    def __init__(
        self,
        runtime: SourceRuntime,
        base_url: str,
        *,
        geo: str = "",
        prop: str = "youtube",
        client: httpx.Client | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.runtime = runtime
        self.base_url = base_url.rstrip("/")
        self.geo = geo
        self.prop = prop
        self.client = client or httpx.Client(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": "Mozilla/5.0 ytempire"}
        )

    def _require(self) -> None:
        if not self.base_url:
            raise self.runtime.skip("YTE_GOOGLE_TRENDS_URL is empty")

    def interest_over_time(
        self, keyword: str, *, timeframe: str = "today 5-y"
    ) -> list[dict[str, Any]]:
        """Weekly points ``{"ds": "YYYY-MM-DD", "y": 0..100}`` for ``keyword``."""
        self._require()
        key = {"keyword": keyword, "geo": self.geo, "prop": self.prop, "time": timeframe}
        return list(self.runtime.call("interest", key, lambda: self._interest(keyword, timeframe)))

    def rising_queries(self, keyword: str, *, timeframe: str = "today 3-m") -> list[dict[str, Any]]:
        """Rising related queries ``{"query", "value"}`` (percent growth; 5000 = breakout)."""
        self._require()
        key = {"keyword": keyword, "geo": self.geo, "prop": self.prop, "time": timeframe}
        return list(self.runtime.call("rising", key, lambda: self._rising(keyword, timeframe)))

    def _widgets(self, keyword: str, timeframe: str) -> dict[str, dict[str, Any]]:
        req = {
            "comparisonItem": [{"keyword": keyword, "geo": self.geo, "time": timeframe}],
            "category": 0,
            "property": self.prop,
        }
        response = get(
            self.client,
            NAME,
            f"{self.base_url}/trends/api/explore",
            params={"hl": "en-US", "tz": "0", "req": json.dumps(req)},
        )
        data = json_body(response, NAME, prefix=XSSI_PREFIX)
        try:
            return {str(w["id"]): w for w in data["widgets"] if "token" in w and "request" in w}
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(NAME, f"explore: unexpected shape ({exc!r})") from exc

    def _widget(self, keyword: str, timeframe: str, prefix: str) -> dict[str, Any]:
        widgets = self._widgets(keyword, timeframe)
        for wid, widget in widgets.items():
            if wid.startswith(prefix):
                return widget
        raise MalformedResponse(NAME, f"explore: no {prefix} widget (got {sorted(widgets)})")

    def _widgetdata(self, kind: str, widget: dict[str, Any]) -> Any:
        response = get(
            self.client,
            NAME,
            f"{self.base_url}/trends/api/widgetdata/{kind}",
            params={
                "hl": "en-US",
                "tz": "0",
                "req": json.dumps(widget["request"]),
                "token": widget["token"],
            },
        )
        return json_body(response, NAME, prefix=XSSI_PREFIX)

    def _interest(self, keyword: str, timeframe: str) -> list[dict[str, Any]]:
        data = self._widgetdata("multiline", self._widget(keyword, timeframe, "TIMESERIES"))
        try:
            points = [
                {
                    "ds": datetime.fromtimestamp(int(p["time"]), UTC).date().isoformat(),
                    "y": float(p["value"][0]),
                }
                for p in data["default"]["timelineData"]
                if not p.get("isPartial") and p.get("hasData", [True])[0]
            ]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedResponse(NAME, f"multiline: unexpected shape ({exc!r})") from exc
        if any(not 0 <= float(str(p["y"])) <= 100 for p in points):
            raise MalformedResponse(NAME, "multiline: values outside 0..100")
        return points

    def _rising(self, keyword: str, timeframe: str) -> list[dict[str, Any]]:
        data = self._widgetdata(
            "relatedsearches", self._widget(keyword, timeframe, "RELATED_QUERIES")
        )
        try:
            lists = data["default"]["rankedList"]
            rising = lists[1]["rankedKeyword"] if len(lists) > 1 else []
            return [{"query": str(k["query"]), "value": int(k["value"])} for k in rising]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedResponse(NAME, f"relatedsearches: unexpected shape ({exc!r})") from exc
