"""Where topic interest series come from: a small protocol and the bundled offline files."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

DEFAULT_SERIES_DIR = Path(__file__).resolve().parents[2] / "data" / "trends"


@dataclass(frozen=True)
class TopicSeries:
    """One topic's interest over time: ``frame`` has columns ``ds`` (datetime) and ``y``."""

    topic: str
    category: str
    frame: pd.DataFrame
    source: str


class TrendSource(Protocol):
    """Interest series grouped by niche category (bundled files now, a store later)."""

    name: str

    def categories(self) -> list[str]: ...

    def series(self, category: str) -> list[TopicSeries]: ...


class BundledTrendSource:
    """``<category>.csv`` files: a ``ds`` column, then one interest column per topic."""

    name = "bundled"

    def __init__(self, series_dir: Path | None = None) -> None:
        self.series_dir = series_dir or DEFAULT_SERIES_DIR
        self._cache: dict[str, list[TopicSeries]] = {}
        if not self.series_dir.is_dir():
            raise FileNotFoundError(f"trend series folder {self.series_dir} does not exist")

    def categories(self) -> list[str]:
        return sorted(p.stem for p in self.series_dir.glob("*.csv"))

    def series(self, category: str) -> list[TopicSeries]:
        if category not in self._cache:
            self._cache[category] = self._read(self.series_dir / f"{category}.csv", category)
        return self._cache[category]

    def _read(self, path: Path, category: str) -> list[TopicSeries]:
        if not path.is_file():
            raise KeyError(f"no trend series for category {category!r} in {self.series_dir}")
        with path.open(newline="") as handle:
            header = next(csv.reader(handle))
        if not header or header[0] != "ds" or len(header) < 2:
            raise ValueError(f"{path}: the header must be 'ds,<topic>,...', got {header}")
        table = pd.read_csv(path, parse_dates=["ds"])
        return [
            TopicSeries(
                topic=topic,
                category=category,
                frame=table[["ds", topic]].rename(columns={topic: "y"}).dropna(),
                source=f"{self.name}:{path.name}",
            )
            for topic in header[1:]
        ]
