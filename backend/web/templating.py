"""Jinja2 environment for the pages: templates and static files live in ``frontend/``.

Every amount of money on every page goes through the ``money`` filter (``{{ x|money }}``),
never through ``"%.2f"|format``: one rule, defined in :func:`backend.web.formats.fmt_money`
and mirrored by ``money()`` in ``app.js`` for live updates:

* ``$0.00`` for zero; two decimals from a cent up (``$0.75``, ``$12.30``, ``$1,234.50``);
* under a cent, up to four decimals (``$0.0021``), so a real cost never reads as ``$0.00``;
  under a hundredth of a cent, ``<$0.0001``; a minus in front of a negative amount.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from backend.models import User
from backend.web.formats import fmt_money, fmt_number

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend"
TEMPLATES_DIR = FRONTEND_DIR / "templates"
STATIC_DIR = FRONTEND_DIR / "static"

NAV = (
    ("overview", "/", "Overview"),
    ("channels", "/channels", "Channels"),
    ("queue", "/queue", "Queue"),
    ("niches", "/niches", "Niches"),
    ("analytics", "/analytics", "Analytics"),
    ("system", "/system", "System"),
    ("settings", "/settings/youtube", "Settings"),
)


@lru_cache(maxsize=64)
def _asset_version(name: str, mtime: float) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>`` so a new release is never served from cache."""
    path = STATIC_DIR / name
    version = _asset_version(name, path.stat().st_mtime) if path.is_file() else "0"
    return f"/static/{name}?v={version}"


def fmt_pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_when(value: datetime | None) -> Markup:
    """A moment as ``<time>`` in UTC; app.js rewrites the text in the browser's zone."""
    if value is None:
        return Markup("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    iso = value.astimezone(UTC).isoformat()
    return Markup('<time datetime="{}" data-local>{}</time>').format(iso, fmt_datetime(value))


def fmt_clock(value: datetime | None) -> str:
    """``HH:MM UTC`` (the quota reset, the time of day of a slot)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%H:%M UTC")


def fmt_ago(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def code_ticks(value: str | None) -> Markup:
    """Plain text with `commands` in backticks shown as ``<code>`` (the rest escaped)."""
    parts = str(escape(value or "")).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return Markup("`".join(parts))  # noqa: S704 - escaped above
    return Markup(  # noqa: S704 - every part was escaped above
        "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    )


def sentence(value: str | None) -> str:
    """A reason as a sentence: a capital first letter and exactly one full stop."""
    text = (value or "").strip().rstrip(".").rstrip()
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _environment(templates: Jinja2Templates) -> None:
    env = templates.env
    env.filters.update(
        money=fmt_money,
        number=fmt_number,
        pct=fmt_pct,
        datetime=fmt_datetime,
        ago=fmt_ago,
        when=fmt_when,
        clock=fmt_clock,
        duration=fmt_duration,
        humanize=humanize,
        ticks=code_ticks,
        sentence=sentence,
    )
    env.globals.update(static_url=static_url, nav=NAV)
    env.trim_blocks = True
    env.lstrip_blocks = True


templates = Jinja2Templates(directory=TEMPLATES_DIR)
_environment(templates)


def csrf_token(request: Request) -> str:
    from backend.web.middleware import codec_for, csrf_session

    nonce = getattr(request.state, "csrf_nonce", None) or ""
    return codec_for(request.app).csrf_token(nonce, csrf_session(request)) if nonce else ""


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    section: str | None = None,
) -> HTMLResponse:
    ctx = {"user": user, "csrf_token": csrf_token(request), "section": section, **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response
