from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest

from backend.agents.trend_prophet import NoTopicAvailable, TrendProphet

WEEKS = 106
START = date(2024, 11, 4)


def _write(folder: Path, category: str, columns: dict[str, list[float]]) -> None:
    days = [START + timedelta(weeks=i) for i in range(WEEKS)]
    lines = ["ds," + ",".join(columns)]
    lines += [
        d.isoformat() + "," + ",".join(f"{v[i]:.2f}" for v in columns.values())
        for i, d in enumerate(days)
    ]
    (folder / f"{category}.csv").write_text("\n".join(lines) + "\n")


def _line(
    level: float, slope: float, season: float = 0.0, peak_offset: float = 0.0, wiggle: float = 0.7
) -> list[float]:
    return [
        level
        + slope * t
        + season * math.sin(2 * math.pi * (t - peak_offset) / 52.18)
        + wiggle * math.sin(t * 1.7)
        for t in range(WEEKS)
    ]


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trends")
    _write(
        folder,
        "gadgets",
        {
            "rising widget": _line(20, 0.4),
            "flat widget": _line(50, 0.0),
            "falling widget": _line(80, -0.4),
        },
    )
    # At the end of the series "seasonal riser" has fallen for two months into its yearly
    # low (a naive recent-slope rule would call it declining) while its trend rises; the
    # season turns up next. "seasonal peak" sits at its yearly high on a flat trend.
    last = WEEKS - 1
    _write(
        folder,
        "seasons",
        {
            "seasonal riser": _line(30, 0.15, season=10, peak_offset=last + 13),
            "seasonal peak": _line(50, 0.0, season=10, peak_offset=last - 13),
        },
    )
    return folder


def test_rising_topic_beats_flat_and_declining(series_dir: Path) -> None:
    pick = TrendProphet(series_dir).pick_topic("gadgets")
    assert pick.topic == "rising widget"
    assert pick.growth > 0
    assert pick.niche == "gadgets" and pick.match == "exact"


def test_seasonality_aware_pick(series_dir: Path) -> None:
    ranked = TrendProphet(series_dir).rank("seasons")
    recent = _line(30, 0.15, season=10, peak_offset=WEEKS - 1 + 13)[-9:]
    assert recent[-1] < recent[0]  # falling into the seasonal low
    assert [p.topic for p in ranked] == ["seasonal riser", "seasonal peak"]
    assert ranked[0].growth > 0 > ranked[1].growth


def test_forecast_intervals_contain_yhat(series_dir: Path) -> None:
    pick = TrendProphet(series_dir).pick_topic("gadgets")
    assert len(pick.forecast) == 8
    for point in pick.forecast:
        assert float(point["yhat_lower"]) <= float(point["yhat"]) <= float(point["yhat_upper"])
    assert str(pick.forecast[0]["ds"]) > (START + timedelta(weeks=WEEKS - 1)).isoformat()


def test_exclude_skips_past_topics(series_dir: Path) -> None:
    prophet = TrendProphet(series_dir)
    assert prophet.pick_topic("gadgets", exclude=["Rising Widget"]).topic == "flat widget"
    with pytest.raises(NoTopicAvailable):
        prophet.pick_topic(
            "gadgets",
            exclude=[
                "rising widget",
                "flat widget",
                "falling widget",
                "seasonal riser",
                "seasonal peak",
            ],
        )


def test_niche_matching_by_words_then_overall(series_dir: Path) -> None:
    prophet = TrendProphet(series_dir)
    keyword = prophet.pick_topic("reviews of cheap widgets")
    assert keyword.match == "keyword" and keyword.niche == "gadgets"
    overall = prophet.pick_topic("knitting")
    assert overall.match == "overall"
