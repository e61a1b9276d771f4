"""Secrets never reach a log: redaction for structlog events and stdlib log lines.

Two layers. Keys that name a secret (``password``, ``token``, ``password_hash``, ...) have
their values replaced, at any depth of an event. And every rendered line, including the
text of an exception and its traceback, is scrubbed of what a secret looks like: argon2
hashes, JWTs, bearer credentials, the row a database prints when a constraint fails
(``Failing row contains (...)``, which holds a user's password hash) and the key values a
unique violation prints. Bound SQL parameters are hidden by the engine itself
(``hide_parameters``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "password_hash",
        "token",
        "access_token",
        "refresh_token",
        "token_hash",
        "secret",
        "secret_key",
        "api_key",
        "authorization",
        "credentials",
        "cookie",
        "set-cookie",
        "client_secret",
    }
)
_PATTERNS = [
    # argon2 / bcrypt / scrypt-style password hashes
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s'\",)]+"), REDACTED),
    (re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"), REDACTED),
    # 256-bit hex digests: stored token hashes, keys
    (re.compile(r"\b[0-9a-f]{64}\b"), REDACTED),
    # JWTs (access tokens)
    (re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"), REDACTED),
    # an Authorization header's credentials
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w\-.~+/=]{8,}"), rf"\1 {REDACTED}"),
    # PostgreSQL's DETAIL of a failed constraint: the whole row, or the key's values
    (
        re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\.?\n|\.?['\"])", re.M),
        rf"\1({REDACTED})",
    ),
    (
        re.compile(r"(Key \([^)]*\)=)\(.*?\)(?= already exists| is not present|\s)"),
        rf"\1({REDACTED})",
    ),
    # key=value / "key": "value" pairs whose key names a secret
    (
        re.compile(
            r"(?i)(['\"]?(?:password(?:_hash)?|new_password|current_password|refresh_token|"
            r"access_token|token_hash|secret(?:_key)?|api_key|client_secret)['\"]?\s*[:=]\s*)"
            r"(['\"]?)[^\s'\",}]+"
        ),
        rf"\1\2{REDACTED}",
    ),
]


def scrub(text: str) -> str:
    """``text`` with everything that looks like a secret replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS:
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value("", v) for v in value)
    if isinstance(value, str):
        return scrub(value)
    return value


def redact_event(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: secret keys at any depth, secret-looking text in values."""
    for key in list(event_dict):
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


def scrub_rendered(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor after ``format_exc_info``: scrub the rendered traceback."""
    for key in ("exception", "stack"):
        if isinstance(event_dict.get(key), str):
            event_dict[key] = scrub(event_dict[key])
    return event_dict


class ScrubbingFormatter(logging.Formatter):
    """stdlib formatter: the whole formatted line, traceback included, is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
