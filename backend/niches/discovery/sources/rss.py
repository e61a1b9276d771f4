"""RSS/Atom feeds through feedparser; fetched with httpx so limits and retries apply."""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import Any

import feedparser
import httpx

from backend.niches.discovery.errors import MalformedResponse
from backend.niches.discovery.runtime import SourceRuntime
from backend.niches.discovery.sources.http import get

NAME = "rss"


def parse_feed_setting(value: str) -> dict[str, list[str]]:
    """``"category=url,category=url"`` → ``{category: [url, ...]}``."""
    feeds: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        category, sep, url = part.partition("=")
        if not sep or not category.strip() or not url.strip():
            raise ValueError(f"YTE_DISCOVERY_RSS_FEEDS entry {part!r} is not category=url")
        feeds.setdefault(category.strip(), []).append(url.strip())
    return feeds


class RSSSource:
    name = NAME

    def __init__(
        self,
        runtime: SourceRuntime,
        feeds: dict[str, list[str]],
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.runtime = runtime
        self.feeds = feeds
        self.client = client or httpx.Client(
            timeout=timeout_s,
            follow_redirects=True,
            headers={"User-Agent": "ytempire-discovery/0.1"},
        )

    def entries(self, category: str) -> list[dict[str, Any]]:
        """Entries of every feed configured for ``category``."""
        if not self.feeds:
            raise self.runtime.skip("YTE_DISCOVERY_RSS_FEEDS is empty")
        found: list[dict[str, Any]] = []
        for url in self.feeds.get(category, []):
            found.extend(self.feed(url))
        return found

    def feed(self, url: str) -> list[dict[str, Any]]:
        return list(self.runtime.call("feed", url, lambda: self._fetch(url)))

    def _fetch(self, url: str) -> list[dict[str, Any]]:
        if url.startswith("file://"):
            body = Path(url.removeprefix("file://")).read_bytes()
        else:
            body = get(self.client, NAME, url).content
        parsed = feedparser.parse(body)
        if parsed.bozo and not parsed.entries:
            raise MalformedResponse(NAME, f"{url}: not a feed ({parsed.get('bozo_exception')!r})")
        if not parsed.get("version") and not parsed.entries:
            raise MalformedResponse(NAME, f"{url}: not RSS or Atom")
        entries = []
        for entry in parsed.entries:
            title = str(entry.get("title", "")).strip()
            if not title:
                continue
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            entries.append(
                {
                    "title": title,
                    "link": str(entry.get("link", "")),
                    "published": calendar.timegm(stamp) if stamp else None,
                    "feed": url,
                }
            )
        return entries
