"""Prophet on synthetic seasonal series (through the shared agents forecaster), and semantic
dedup with the real all-MiniLM-L6-v2 embeddings through the AI gateway."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from backend.niches.catalog import catalog
from backend.niches.discovery.analysis import Evidence, evaluate, frame
from backend.niches.discovery.dedup import embed_texts, group
from backend.niches.discovery.scoring import Weights
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR


def seasonal(slope: float, peak_week: int = 26) -> list[dict[str, object]]:
    start = pd.Timestamp("2024-11-04")
    rng = np.random.default_rng(7)
    return [
        {
            "ds": (start + pd.Timedelta(weeks=i)).date().isoformat(),
            "y": float(
                50
                + slope * i
                + 10 * math.cos(2 * math.pi * (i - peak_week) / 52.18)
                + rng.normal(0, 1.5)
            ),
        }
        for i in range(110)
    ]


def test_rising_seasonal_series_forecasts_growth_with_sane_intervals() -> None:
    series = seasonal(0.25, peak_week=117)
    analysis = evaluate(Evidence(series=series), "cooking", catalog(), Weights())
    fitted = analysis.forecast
    assert fitted is not None and fitted.growth > 0
    last = frame(series)["ds"].max()
    assert all(pd.Timestamp(p["ds"]) > last for p in fitted.points)
    for point in fitted.points:
        assert float(point["yhat_lower"]) < float(point["yhat"]) < float(point["yhat_upper"])
        assert float(point["yhat_upper"]) - float(point["yhat_lower"]) < 40
    assert analysis.score.breakdown["trend"]["score"] > 50


def test_falling_series_scores_a_lower_trend() -> None:
    rising = evaluate(Evidence(series=seasonal(0.25, 117)), "cooking", catalog(), Weights())
    falling = evaluate(Evidence(series=seasonal(-0.25, 100)), "cooking", catalog(), Weights())
    assert falling.forecast is not None and falling.forecast.growth < 0
    assert falling.score.total < rising.score.total


def test_growth_is_seasonality_aware() -> None:
    """A flat series heading into its yearly peak rises; one past its peak falls."""
    ahead = evaluate(Evidence(series=seasonal(0.0, 117)), "cooking", catalog(), Weights())
    behind = evaluate(Evidence(series=seasonal(0.0, 100)), "cooking", catalog(), Weights())
    assert ahead.forecast is not None and behind.forecast is not None
    assert ahead.forecast.growth > 0.02 > -0.02 > behind.forecast.growth


def test_competition_is_carried_over_when_youtube_is_unavailable() -> None:
    previous = {"recent_videos": 500, "median_subscribers": 1000.0, "median_views": 5000.0}
    analysis = evaluate(Evidence(), "technology", catalog(), Weights(), previous)
    assert analysis.inputs.recent_videos == 500
    assert analysis.stale == ["median_subscribers", "median_views", "recent_videos"]


async def test_dedup_merges_paraphrases_and_keeps_topics_apart(tmp_path: Path) -> None:
    settings = Settings(models_dir=MODELS_DIR, data_dir=tmp_path)
    items = [
        ("air fryer recipes", "google_trends"),
        ("recipes for the air fryer", "reddit"),
        ("budget travel tips", "rss"),
        ("how to travel on a budget", "google_trends"),
        ("index fund investing", "reddit"),
        ("woodworking projects", "rss"),
    ]
    vectors = await embed_texts(settings, [t for t, _ in items])
    groups = group(items, vectors, threshold=0.80)
    by_topic = {g.topic: g for g in groups}
    assert len(groups) == 4
    assert by_topic["air fryer recipes"].members == [
        "air fryer recipes",
        "recipes for the air fryer",
    ]
    assert by_topic["air fryer recipes"].sources == {"google_trends", "reddit"}
    assert by_topic["budget travel tips"].sources == {"rss", "google_trends"}
    assert by_topic["woodworking projects"].members == ["woodworking projects"]
