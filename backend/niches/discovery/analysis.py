"""One niche's evidence from the sources, its Prophet forecast and its score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import structlog

from backend.niches.catalog import Catalog
from backend.niches.discovery.errors import SourceError
from backend.niches.discovery.scoring import Score, ScoreInputs, Weights, score
from backend.niches.discovery.sources.factory import Sources
from backend.niches.metrics import NICHES_SCORED
from backend.niches.trends.forecast import MIN_POINTS, Forecast, forecast
from backend.niches.trends.match import normalize_category
from backend.niches.trends.source import TrendSource

log = structlog.get_logger(__name__)

COMPETITION_KEYS = ("recent_videos", "median_subscribers", "median_views")
TOP_VIDEOS = 10


@dataclass
class Evidence:
    series: list[dict[str, Any]] = field(default_factory=list)
    series_source: str | None = None
    competition: dict[str, Any] | None = None
    status: dict[str, str] = field(default_factory=dict)  # source -> ok | <status>: <why>


@dataclass
class Analysis:
    inputs: ScoreInputs
    score: Score
    forecast: Forecast | None
    evidence: Evidence
    stale: list[str]  # inputs carried over from the previous scoring


def _attempt(evidence: Evidence, source: str, call: Any) -> Any:
    try:
        result = call()
    except SourceError as exc:
        evidence.status[source] = f"{exc.status}: {exc.message}"
        return None
    evidence.status[source] = "ok"
    return result


def gather(
    sources: Sources, name: str, category: str, *, bundled: TrendSource | None = None
) -> Evidence:
    """Ask every source about ``name``; a failing or unconfigured source is noted, not raised."""
    evidence = Evidence()
    series = _attempt(evidence, "google_trends", lambda: sources.trends.interest_over_time(name))
    if series:
        evidence.series, evidence.series_source = series, "google_trends"
    elif bundled is not None:
        wanted = normalize_category(name)
        for topic in bundled.series(category) if category in bundled.categories() else []:
            if normalize_category(topic.topic) == wanted:
                evidence.series = [
                    {"ds": d.date().isoformat(), "y": float(y)}
                    for d, y in zip(topic.frame["ds"], topic.frame["y"], strict=True)
                ]
                evidence.series_source = topic.source
                evidence.status["bundled"] = "ok (synthetic sample series)"
    evidence.competition = _attempt(evidence, "youtube", lambda: sources.youtube.competition(name))
    return evidence


def frame(series: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(series, columns=["ds", "y"])
    table["ds"] = pd.to_datetime(table["ds"])
    return table.sort_values("ds").reset_index(drop=True)


def evaluate(
    evidence: Evidence,
    category: str,
    catalog: Catalog,
    weights: Weights,
    previous: dict[str, Any] | None = None,
) -> Analysis:
    """Score the evidence; competition inputs missing now are carried over from ``previous``
    (the YouTube quota allows ~95 competition lookups a day, so most rescoring reuses them)."""
    fitted = forecast(frame(evidence.series)) if len(evidence.series) >= MIN_POINTS else None
    values: dict[str, Any] = {
        "cpm_usd": catalog.get(category).cpm_usd,
        "cpm_ceiling_usd": catalog.cpm_ceiling,
        "rpm_usd": catalog.get(category).rpm_usd,
        "rpm_ceiling_usd": catalog.rpm_ceiling,
        "growth": round(fitted.growth, 6) if fitted else None,
        "interest_level": round(fitted.recent_level, 4) if fitted else None,
    }
    stale: list[str] = []
    if evidence.competition is not None:
        values |= {k: evidence.competition[k] for k in COMPETITION_KEYS}
    elif previous:
        carried = {k: previous.get(k) for k in COMPETITION_KEYS if previous.get(k) is not None}
        values |= carried
        stale = sorted(carried)
    if fitted is None and previous and previous.get("growth") is not None:
        values |= {"growth": previous["growth"], "interest_level": previous.get("interest_level")}
        stale += ["growth", "interest_level"]
    inputs = ScoreInputs.from_dict(values)
    result = score(inputs, weights)
    NICHES_SCORED.inc()
    return Analysis(inputs, result, fitted, evidence, stale)


def stored_inputs(analysis: Analysis) -> dict[str, Any]:
    """What goes into ``Niche.inputs``: the scoring inputs, plus the context shown to owners."""
    competition = analysis.evidence.competition or {}
    return {
        "score": analysis.inputs.to_dict(),
        "stale": analysis.stale,
        "sources": analysis.evidence.status,
        "series_source": analysis.evidence.series_source,
        "top_videos": competition.get("videos", [])[:TOP_VIDEOS],
    }
