"""Request limits, applied before the app reads a body: size (413), JSON depth (400), NUL (422).

A body larger than ``YTE_MAX_REQUEST_BYTES`` is refused from its Content-Length before a
byte is read, or as soon as a chunked body crosses the limit. A JSON body is checked for
its nesting depth before it is parsed, so a deeply nested document cannot exhaust the
parser's stack or CPU. Text never contains a NUL character (PostgreSQL cannot store one):
a NUL in a JSON or form body or in the query string is a 422 here, for every route at once,
instead of a 500 from the database.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A JSON string literal (with escapes); removed before counting brackets.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_OPEN = frozenset(b"[{")
# \u0000 in JSON (an odd number of backslashes before it), %00 or a raw NUL in a form/query.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM_NUL = re.compile(rb"%00|\x00")
_NUL_MESSAGE = "Text must not contain NUL characters"


class RequestTooLarge(Exception):
    pass


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (0 for a scalar)."""
    brackets = _BRACKETS.findall(_STRING.sub(b"", body))
    if not brackets:
        return 0
    return max(accumulate(1 if b[0] in _OPEN else -1 for b in brackets))


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or _FORM_NUL.search(scope.get("query_string", b"")):
            await _refuse(send, 422, "validation_error", _NUL_MESSAGE)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _refuse(send, 413, "payload_too_large", self._too_large())
            return
        try:
            body = await self._read(receive)
        except RequestTooLarge:
            await _refuse(send, 413, "payload_too_large", self._too_large())
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        is_json = content_type.endswith(b"json")
        if is_json and json_depth(body) > self.max_json_depth:
            message = f"The JSON body is nested deeper than {self.max_json_depth} levels"
            await _refuse(send, 400, "json_too_deep", message)
            return
        if (is_json and _JSON_NUL.search(body)) or (
            content_type == b"application/x-www-form-urlencoded" and _FORM_NUL.search(body)
        ):
            await _refuse(send, 422, "validation_error", _NUL_MESSAGE)
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"The request body is larger than {self.max_bytes:,} bytes"

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise RequestTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as Starlette expects

    return replay


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
