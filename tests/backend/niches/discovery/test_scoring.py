"""The weighted 0-100 niche score: known inputs, monotonicity, breakdown, reproducibility."""

from __future__ import annotations

import math

import pytest

from backend.niches.discovery.scoring import ScoreInputs, Weights, score

BASE = ScoreInputs(
    cpm_usd=7.5,
    cpm_ceiling_usd=15.0,
    growth=0.0,
    interest_level=60.0,
    recent_videos=999,
    median_subscribers=9999.0,
    median_views=9999.0,
)


def test_weighted_formula_on_known_inputs() -> None:
    result = score(BASE, Weights())
    # trend 50 (no growth); competition 100*(1-(3/6+4/7)/2); monetization 50; volume (60+4/7*100)/2
    competition = 100 * (1 - (3 / 6 + 4 / 7) / 2)
    volume = (60 + 100 * 4 / 7) / 2
    expected = 0.30 * 50 + 0.25 * competition + 0.25 * 50 + 0.20 * volume
    assert result.total == pytest.approx(expected, abs=0.01)
    assert result.breakdown["competition"]["score"] == pytest.approx(competition, abs=0.01)
    assert result.breakdown["missing"] == []


def test_breakdown_points_add_up_to_the_score() -> None:
    for growth in (-0.5, 0.0, 0.3):
        result = score(ScoreInputs(cpm_usd=3.0, cpm_ceiling_usd=15.0, growth=growth), Weights())
        points = sum(
            result.breakdown[c]["points"]
            for c in ("trend", "competition", "monetization", "volume")
        )
        assert points == pytest.approx(result.total, abs=0.01)
        assert sum(
            result.breakdown[c]["weight"]
            for c in ("trend", "competition", "monetization", "volume")
        ) == pytest.approx(1.0)


def test_weights_from_settings_are_normalised() -> None:
    heavy = score(BASE, Weights(trend=3, competition=0, monetization=0, volume=0))
    assert heavy.total == pytest.approx(50.0)
    with pytest.raises(ValueError):
        score(BASE, Weights(0, 0, 0, 0))


def test_more_competition_never_raises_the_score() -> None:
    totals = [
        score(
            ScoreInputs(**{**BASE.to_dict(), "recent_videos": v, "median_subscribers": s}),
            Weights(),
        ).total
        for v, s in [(0, 0), (10, 100), (1000, 10_000), (10**5, 10**6), (10**7, 10**8)]
    ]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] > totals[-1]


def test_faster_growth_never_lowers_the_score() -> None:
    growths = [-0.9, -0.3, -0.05, 0.0, 0.05, 0.3, 1.0, 5.0]
    totals = [
        score(ScoreInputs(**{**BASE.to_dict(), "growth": g}), Weights()).total for g in growths
    ]
    assert totals == sorted(totals)
    assert all(0 <= t <= 100 for t in totals)


def test_missing_components_are_neutral_and_listed() -> None:
    result = score(ScoreInputs(cpm_usd=15.0, cpm_ceiling_usd=15.0), Weights())
    assert set(result.breakdown["missing"]) == {"trend", "competition", "volume"}
    assert result.total == pytest.approx(0.75 * 50 + 0.25 * 100)


def test_score_is_reproducible_from_the_stored_inputs() -> None:
    stored = BASE.to_dict()
    assert score(ScoreInputs.from_dict(stored), Weights()) == score(BASE, Weights())
    assert not any(isinstance(v, float) and math.isnan(v) for v in stored.values())
