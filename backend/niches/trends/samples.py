"""Deterministic synthetic interest series: the offline sample data in backend/data/trends.

Each topic's weekly series is ``level + slope·t + seasonal amplitude·sin(2π(week - peak)/52)
+ noise``, clipped to 0..100 like a Google Trends index. Regenerate with
``python -m backend.niches.trends.samples``; the same seed always writes the same files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

WEEKS = 106  # > 2 years, so Prophet can identify yearly seasonality
LAST_WEEK = date(2026, 11, 16)  # a Monday; the series ends here
SEED = 20261116
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "trends"


@dataclass(frozen=True)
class TopicShape:
    topic: str
    level: float  # interest at the first week
    slope: float  # change per week
    amplitude: float  # yearly seasonal swing
    peak_week: int  # week of the year with the seasonal high (1..52)
    noise: float  # standard deviation


CATALOG: dict[str, tuple[TopicShape, ...]] = {
    "technology": (
        TopicShape("local ai assistants", 22, 0.45, 3, 10, 2.5),
        TopicShape("budget mechanical keyboards", 40, 0.02, 4, 47, 3.0),
        TopicShape("smart home automation", 48, 0.10, 6, 50, 3.0),
        TopicShape("foldable phones", 55, -0.18, 5, 36, 3.0),
        TopicShape("home lab servers", 30, 0.22, 2, 3, 2.5),
    ),
    "personal_finance": (
        TopicShape("index fund investing", 50, 0.05, 6, 2, 3.0),
        TopicShape("high yield savings accounts", 60, -0.15, 4, 5, 3.0),
        TopicShape("budgeting apps", 35, 0.16, 9, 2, 2.5),
        TopicShape("side hustles", 45, 0.20, 5, 1, 3.0),
        TopicShape("tax filing tips", 30, 0.04, 20, 14, 2.5),
    ),
    "health_fitness": (
        TopicShape("home workouts", 55, -0.08, 12, 2, 3.0),
        TopicShape("zone 2 cardio", 20, 0.35, 6, 3, 2.5),
        TopicShape("creatine benefits", 32, 0.24, 4, 20, 2.5),
        TopicShape("intermittent fasting", 58, -0.22, 8, 2, 3.0),
        TopicShape("sleep hygiene", 38, 0.08, 3, 45, 2.0),
    ),
    "cooking": (
        TopicShape("sourdough bread", 50, -0.12, 6, 48, 3.0),
        TopicShape("air fryer recipes", 52, 0.06, 7, 3, 3.0),
        TopicShape("high protein meal prep", 28, 0.30, 7, 2, 2.5),
        TopicShape("fermented hot sauce", 22, 0.14, 9, 33, 2.5),
        TopicShape("holiday baking", 25, 0.03, 30, 51, 2.5),
    ),
    "travel": (
        TopicShape("budget europe trips", 42, 0.05, 16, 22, 3.0),
        TopicShape("van life", 46, -0.16, 8, 26, 3.0),
        TopicShape("japan travel guide", 35, 0.28, 7, 14, 3.0),
        TopicShape("digital nomad visas", 24, 0.20, 4, 6, 2.5),
        TopicShape("national park road trips", 38, 0.02, 18, 27, 3.0),
    ),
    "gaming": (
        TopicShape("indie roguelikes", 30, 0.22, 5, 49, 3.0),
        TopicShape("retro handheld consoles", 26, 0.26, 8, 50, 2.5),
        TopicShape("battle royale tips", 60, -0.25, 4, 28, 3.0),
        TopicShape("cozy farming games", 34, 0.12, 6, 1, 2.5),
        TopicShape("speedrunning", 36, 0.04, 3, 2, 2.5),
    ),
    "science_education": (
        TopicShape("james webb telescope discoveries", 44, 0.10, 3, 28, 3.0),
        TopicShape("history of ancient rome", 40, 0.06, 5, 42, 2.5),
        TopicShape("how batteries work", 26, 0.22, 3, 40, 2.5),
        TopicShape("ocean deep sea creatures", 33, 0.03, 6, 29, 2.5),
        TopicShape("solar eclipses", 30, -0.05, 14, 14, 3.0),
    ),
    "diy_home": (
        TopicShape("small apartment organization", 36, 0.18, 7, 2, 2.5),
        TopicShape("indoor plant care", 48, -0.10, 9, 17, 3.0),
        TopicShape("woodworking for beginners", 40, 0.05, 8, 46, 3.0),
        TopicShape("heat pump installation", 24, 0.30, 12, 45, 2.5),
        TopicShape("vegetable garden planning", 32, 0.08, 22, 12, 3.0),
    ),
}


def weeks() -> list[date]:
    first = LAST_WEEK - timedelta(weeks=WEEKS - 1)
    return [first + timedelta(weeks=i) for i in range(WEEKS)]


def series(shape: TopicShape, rng: np.random.Generator) -> list[float]:
    values: list[float] = []
    for t, day in enumerate(weeks()):
        week_of_year = day.isocalendar().week
        phase = 2 * math.pi * (week_of_year - shape.peak_week + 13) / 52
        value = shape.level + shape.slope * t + shape.amplitude * math.sin(phase)
        values.append(float(np.clip(value + rng.normal(0, shape.noise), 0, 100)))
    return values


def write_catalog(target: Path = DEFAULT_DIR) -> list[Path]:
    """Write one ``<category>.csv`` (``ds`` then one column per topic) per category."""
    rng = np.random.default_rng(SEED)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for category, shapes in CATALOG.items():
        columns = [[f"{v:.1f}" for v in series(shape, rng)] for shape in shapes]
        lines = ["ds," + ",".join(s.topic for s in shapes)]
        for i, day in enumerate(weeks()):
            lines.append(day.isoformat() + "," + ",".join(col[i] for col in columns))
        path = target / f"{category}.csv"
        path.write_text("\n".join(lines) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_catalog():
        print(written_path)
