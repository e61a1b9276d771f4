"""Reddit listings (subreddit top/hot and search) through app-only OAuth with httpx."""

from __future__ import annotations

from typing import Any

import httpx

from backend.niches.discovery.errors import MalformedResponse, SourceError
from backend.niches.discovery.runtime import PREFIX, SourceRuntime
from backend.niches.discovery.sources.http import get, json_body

NAME = "reddit"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105 (a URL)
API_URL = "https://oauth.reddit.com"


class RedditSource:
    name = NAME

    def __init__(
        self,
        runtime: SourceRuntime,
        client_id: str | None,
        client_secret: str | None,
        user_agent: str,
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.runtime = runtime
        self.client_id = client_id
        self.client_secret = client_secret
        self.client = client or httpx.Client(timeout=timeout_s)
        self.client.headers["User-Agent"] = user_agent

    def subreddit(
        self, name: str, *, sort: str = "top", period: str = "week", limit: int = 25
    ) -> list[dict[str, Any]]:
        if sort not in {"top", "hot", "new", "rising"}:
            raise ValueError(f"unknown listing sort {sort!r}")
        return self._listing(f"/r/{name}/{sort}", {"t": period, "limit": limit})

    def search(self, query: str, *, period: str = "month", limit: int = 25) -> list[dict[str, Any]]:
        return self._listing(
            "/search",
            {"q": query, "sort": "relevance", "t": period, "limit": limit, "type": "link"},
        )

    def _listing(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if not (self.client_id and self.client_secret):
            raise self.runtime.skip("YTE_REDDIT_CLIENT_ID / YTE_REDDIT_CLIENT_SECRET are not set")
        return list(
            self.runtime.call(
                "listing", {"path": path, **params}, lambda: self._fetch(path, params)
            )
        )

    def _token(self) -> str:
        key = f"{PREFIX}:reddit:token"
        cached = self.runtime.redis.get(key)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        response = get(
            self.client,
            NAME,
            TOKEN_URL,
            method="POST",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id or "", self.client_secret or ""),
        )
        body = json_body(response, NAME)
        try:
            token, expires = str(body["access_token"]), int(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(NAME, f"token: unexpected shape ({exc!r})") from exc
        self.runtime.redis.set(key, token, ex=max(expires - 60, 60))
        return token

    def _fetch(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        token = self._token()
        try:
            response = get(
                self.client,
                NAME,
                f"{API_URL}{path}",
                params=params,
                headers={"Authorization": f"bearer {token}"},
            )
        except SourceError as exc:
            if "HTTP 401" in exc.message:  # the cached token expired early
                self.runtime.redis.delete(f"{PREFIX}:reddit:token")
            raise
        body = json_body(response, NAME)
        try:
            children = body["data"]["children"]
            return [
                {
                    "title": str(c["data"]["title"]),
                    "score": int(c["data"].get("score", 0)),
                    "comments": int(c["data"].get("num_comments", 0)),
                    "subreddit": str(c["data"].get("subreddit", "")),
                    "created_utc": float(c["data"].get("created_utc", 0)),
                    "url": "https://www.reddit.com" + str(c["data"].get("permalink", "")),
                }
                for c in children
                if c.get("kind") == "t3"
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(NAME, f"listing: unexpected shape ({exc!r})") from exc
