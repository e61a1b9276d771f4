"""Niches explorer: scores with their breakdown, interest with its forecast band, watchlist.

Scores are the signed-in owner's: the stored (market) score with the RPM measured on the
owner's own channels blended into its monetization component
(``backend/niches/monetization.py``); the selected niche shows the measured RPM against the
category table's estimate, the views behind it and the weight it got.

Every read and write goes through :mod:`backend.niches.service`, the same rules as the API."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import Form, Request, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.deps import SessionDep, SettingsDep, parse_uuid
from backend.errors import NotFound
from backend.models import Niche, Trend, User
from backend.niches import service
from backend.niches.catalog import catalog
from backend.niches.schemas import OwnerNicheScore, WatchlistEntryCreate
from backend.settings import Settings
from backend.web.charts import Band, Series, bar_list, line_chart
from backend.web.deps import Csrf, PageUser
from backend.web.pages.common import notice_for
from backend.web.routing import page_router, redirect
from backend.web.templating import render

router = page_router()

# The score's components and their default weights (the Niche Discovery Engine); the
# breakdown key of search volume is "volume" (older rows: "search_volume").
COMPONENTS = (
    ("trend", "Trend", 30),
    ("competition", "Competition", 25),
    ("monetization", "Monetization", 25),
    ("volume", "Search volume", 20),
)
ALIASES = {"volume": ("volume", "search_volume")}
DATE_KEYS = ("ds", "date", "day", "week", "period")
VALUE_KEYS = ("y", "value", "interest", "count")


def _first(point: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((point[k] for k in keys if point.get(k) is not None), None)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def component_value(breakdown: dict[str, Any], key: str) -> float | None:
    """A component's 0-100 value; accepts ``{"trend": 71}`` or ``{"trend": {"score": 71}}``."""
    for name in ALIASES.get(key, (key,)):
        raw = breakdown.get(name)
        if isinstance(raw, dict):
            raw = raw.get("score", raw.get("value"))
        if (value := _number(raw)) is not None:
            return value
    return None


def component_weight(breakdown: dict[str, Any], key: str, default: int) -> int:
    """The weight (percent) the component was scored with, else the default."""
    for name in ALIASES.get(key, (key,)):
        raw = breakdown.get(name)
        if isinstance(raw, dict) and (weight := _number(raw.get("weight"))) is not None:
            return round(weight * 100)
    return default


def breakdown_chart(niche: Niche, mine: OwnerNicheScore | None = None) -> Markup | None:
    """The components; monetization is the owner's (the blended RPM's) when known."""
    rows = []
    for key, label, default in COMPONENTS:
        breakdown = niche.breakdown or {}
        value = component_value(breakdown, key)
        if key == "monetization" and mine is not None and value is not None:
            value = mine.monetization.score
        if value is not None:
            rows.append((f"{label} ({component_weight(breakdown, key, default)}%)", value))
    if not rows:
        return None
    return bar_list(f"Score breakdown of {niche.name}", rows, maximum=100)


def trend_chart(trend: Trend) -> Markup | None:
    """The interest series, then the forecast's line and uncertainty band."""
    history = []
    for point in trend.series or []:
        if isinstance(point, dict):
            day, value = _first(point, DATE_KEYS), _number(_first(point, VALUE_KEYS))
            if day is not None and value is not None:
                history.append((str(day)[:10], value))
    seen = {label for label, _ in history}
    ahead = []
    for point in trend.forecast or []:
        if not isinstance(point, dict):
            continue
        day = _first(point, DATE_KEYS)
        mid = _number(point.get("yhat", point.get("value")))
        lo = _number(point.get("yhat_lower", point.get("lower")))
        hi = _number(point.get("yhat_upper", point.get("upper")))
        if day is not None and mid is not None and str(day)[:10] not in seen:
            ahead.append((str(day)[:10], mid, lo if lo is not None else mid, hi or mid))
    if len(history) + len(ahead) < 2:
        return None
    labels = [label for label, _ in history] + [a[0] for a in ahead]
    series = [Series("Interest", [v for _, v in history])]
    band = None
    if ahead:
        # the forecast line starts at the last observed point so the two join
        joined = ([history[-1][1]] if history else []) + [a[1] for a in ahead]
        series.append(Series("Forecast", joined, dashed=True, start=max(len(history) - 1, 0)))
        band = Band(start=len(history), lower=[a[2] for a in ahead], upper=[a[3] for a in ahead])
    return line_chart(f"Interest in {trend.topic} with forecast", labels, series, band=band)


def _owner_rank(niche: Niche, mine: OwnerNicheScore | None) -> tuple[bool, float, str]:
    score = mine.score if mine is not None else niche.score
    return (score is None, -(score or 0.0), niche.name)


async def _page(
    request: Request,
    user: User,
    session: AsyncSession,
    settings: Settings,
    niche: str | None,
    *,
    watchlist_error: str | None = None,
    threshold: str = "",
    status_code: int = 200,
) -> Response:
    niches = await service.ranked(session)
    revenue = await service.owner_revenue(session, settings, user)
    mine = {n.id: service.for_owner(n, revenue, settings) for n in niches}
    niches.sort(key=lambda n: _owner_rank(n, mine[n.id]))
    watchlist = await service.watchlist_by_niche(session, user)
    selected = None
    if niche:
        selected = await service.get(session, parse_uuid(niche, "niche"))
        if selected.id not in mine:
            mine[selected.id] = service.for_owner(selected, revenue, settings)
    elif niches:
        selected = niches[0]
    trends = []
    if selected is not None:
        for trend in await service.top_trends(session, selected):
            trends.append((trend, trend_chart(trend)))
    return render(
        request,
        "niches.html",
        {
            "niches": niches,
            "watchlist": watchlist,
            "selected": selected,
            "breakdown": breakdown_chart(selected, mine.get(selected.id))
            if selected is not None
            else None,
            "mine": mine,
            "category_labels": {k: c.label for k, c in catalog().categories.items()},
            "selected_mine": mine.get(selected.id) if selected is not None else None,
            "trends": trends,
            "components": COMPONENTS,
            "component_value": component_value,
            "notice": notice_for(request),
            "watchlist_error": watchlist_error,
            "threshold": threshold,
        },
        user=user,
        section="niches",
        status_code=status_code,
    )


@router.get("/niches")
async def niches_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    niche: str | None = None,
) -> Response:
    return await _page(request, user, session, settings, niche)


THRESHOLD_ERROR = "The alert threshold must be a number from 0 to 100, such as 70."


@router.post("/niches/{niche_id}/watch", dependencies=[Csrf])
async def change_watchlist(
    request: Request,
    niche_id: str,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    action: Annotated[str, Form(pattern="^(watch|unwatch)$")] = "watch",
    threshold: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Add the niche to the watchlist (``watch``, with an optional alert threshold) or remove
    it (``unwatch``); the service's rules, as ``/api/v1/users/watchlist`` applies them."""
    niche = await service.get(session, parse_uuid(niche_id, "niche"))
    if action == "unwatch":
        # not on the watchlist (any more) is the result the owner asked for
        with contextlib.suppress(NotFound):
            await service.remove_from_watchlist(session, user, niche.id)
        return redirect(f"/niches?niche={niche.id}&notice={action}ed")
    try:
        data = WatchlistEntryCreate.model_validate(
            {"niche_id": niche.id, "alert_threshold": threshold.strip() or None}
        )
    except ValidationError:
        return await _page(
            request,
            user,
            session,
            settings,
            str(niche.id),
            watchlist_error=THRESHOLD_ERROR,
            threshold=threshold,
            status_code=400,
        )
    await service.add_to_watchlist(session, user, data)
    return redirect(f"/niches?niche={niche.id}&notice={action}ed")
