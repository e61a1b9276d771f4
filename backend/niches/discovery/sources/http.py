"""httpx plumbing shared by the HTTP adapters: status codes to retry/skip/fail decisions."""

from __future__ import annotations

import json
from typing import Any

import httpx

from backend.niches.discovery.errors import MalformedResponse, Retryable, SourceError
from backend.niches.discovery.runtime import parse_retry_after


def get(client: httpx.Client, source: str, url: str, **kwargs: Any) -> httpx.Response:
    """GET (or ``method=``) and raise the error that fits the answer."""
    method = kwargs.pop("method", "GET")
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise Retryable(source, f"{type(exc).__name__}: {exc}") from exc
    check(response, source)
    return response


def check(response: httpx.Response, source: str) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise Retryable(
            source,
            f"HTTP {status} from {response.request.url.host}",
            parse_retry_after(response.headers.get("retry-after")),
        )
    if status >= 400:
        raise SourceError(source, f"HTTP {status} from {response.request.url.host}")


def json_body(response: httpx.Response, source: str, *, prefix: str = "") -> Any:
    text = response.text
    if prefix:
        stripped = text.lstrip()
        if not stripped.startswith(prefix):
            raise MalformedResponse(source, f"expected a {prefix!r} prefix, got {text[:40]!r}")
        text = stripped[len(prefix) :].lstrip(",").lstrip()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MalformedResponse(source, f"not JSON: {text[:60]!r}") from exc
