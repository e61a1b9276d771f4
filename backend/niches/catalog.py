"""The CPM and RPM by category table and the seed niches (``backend/data/niches``).

``cpm_usd`` is what advertisers pay per 1,000 impressions; ``rpm_usd`` is what a creator
earns per 1,000 views, the unit YouTube Analytics measures (revenue / views x 1000): the
prior of the monetization score (``backend/niches/monetization.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "niches"


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    cpm_usd: float
    range_usd: tuple[float, float]
    rpm_usd: float
    seeds: tuple[str, ...]
    subreddits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    categories: dict[str, Category]
    cpm_source: str
    cpm_reviewed: str
    rpm_source: str = ""

    @property
    def cpm_ceiling(self) -> float:
        return max(c.cpm_usd for c in self.categories.values())

    @property
    def rpm_ceiling(self) -> float:
        """The highest RPM in the table: the RPM that scores 100 on monetization."""
        return max(c.rpm_usd for c in self.categories.values())

    def get(self, key: str) -> Category:
        try:
            return self.categories[key]
        except KeyError:
            raise KeyError(f"unknown category {key!r}") from None


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / name).read_text())
    return data


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    cpm = _read("cpm.json")
    seeds = _read("seeds.json")["categories"]
    categories = {}
    for key, row in cpm["categories"].items():
        seed = seeds.get(key, {})
        low, high = row["range_usd"]
        categories[key] = Category(
            key,
            row["label"],
            float(row["cpm_usd"]),
            (float(low), float(high)),
            float(row["rpm_usd"]),
            tuple(seed.get("seeds", ())),
            tuple(seed.get("subreddits", ())),
        )
    unknown = set(seeds) - set(categories)
    if unknown:
        raise ValueError(f"seeds.json names categories missing from cpm.json: {sorted(unknown)}")
    return Catalog(categories, cpm["source"], cpm["reviewed"], cpm.get("rpm_source", ""))
