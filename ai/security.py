"""Safe by default: the key compared in constant time, no default key off loopback, and a
Host header allow-list against DNS rebinding."""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ai.settings import DEFAULT_AI_API_KEY, KEY_SETTING, AISettings

ALLOWED_HOSTS_SETTING = "YTE_AI_ALLOWED_HOSTS"
EMBEDDED_HOST = "ytempire-ai.embedded"  # the in-process client's name; not resolvable in DNS
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class UnsafeBinding(RuntimeError):
    """The gateway would be reachable from the network without a key of the owner's."""


def key_matches(sent: str, expected: str) -> bool:
    """Constant-time comparison of the bearer token with the configured key."""
    return hmac.compare_digest(sent.encode(), expected.encode())


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything, so it counts as the network


def check_binding(settings: AISettings, host: str) -> None:
    """Refuse to serve off loopback with the default key or none; say what to set."""
    if is_loopback(host):
        return
    key = settings.ai_api_key
    if key and key != DEFAULT_AI_API_KEY:
        return
    problem = (
        f"{KEY_SETTING} is empty, which switches the key check off"
        if not key
        else f"{KEY_SETTING} is the published default {DEFAULT_AI_API_KEY!r}"
    )
    raise UnsafeBinding(
        f"refusing to serve the AI gateway on {host}: {problem}, so anyone who can reach "
        "this address could use its models and its cloud keys. Set "
        f"{KEY_SETTING} to a random value of your own (e.g. `python -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'`) and give the backend the same one, or bind to "
        "127.0.0.1 (--host or YTE_AI_HOST)."
    )


def allowed_hosts(settings: AISettings) -> frozenset[str] | None:
    """Host names accepted in the Host header; None: any (``YTE_AI_ALLOWED_HOSTS=*``)."""
    extra = {_host_name(h) for h in settings.ai_allowed_hosts.split(",") if h.strip()}
    if "*" in extra:
        return None
    names = set(LOOPBACK_NAMES) | {EMBEDDED_HOST} | extra
    bound = _host_name(settings.ai_host)
    if bound in WILDCARD_BINDS:
        names.add(socket.gethostname().lower())
    else:
        names.add(bound)
    return frozenset(names)


def _host_name(value: str) -> str:
    """``Host`` header value without its port: ``[::1]:8100`` -> ``::1``, ``A:80`` -> ``a``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class HostGuard:
    """ASGI middleware: requests naming another host are refused (421) before routing."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hosts is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), ""
        )
        if _host_name(header) in self.hosts:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await _refuse(send, header)


async def _refuse(send: Send, header: str) -> None:
    shown = header[:100] or "(none)"
    message = (
        f"Host {shown!r} is not served by this AI gateway (a guard against DNS "
        f"rebinding); if clients reach it under that name, add it to "
        f"{ALLOWED_HOSTS_SETTING}"
    )
    body = json.dumps(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "host_not_allowed",
                "details": {"host": header[:100]},
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 421,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
