"""Niche scoring throughput: N niches scored from stored inputs, each with its own Prophet fit.

    python scripts/bench_discovery.py --niches 200 --workers 2

Each niche gets a distinct synthetic weekly interest series (110 points, trend + yearly
seasonality + noise: the shape of a 2-year Google Trends series) and stored competition
inputs, as ``Niche.inputs`` holds them; scoring = Prophet fit + forecast + the weighted
score. Source calls are not timed (they are cached and rate limited; YouTube quota, not CPU,
bounds competition lookups). Prints niches/second and the projected niches per day.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd


def stored_niche(index: int) -> dict[str, Any]:
    rng = np.random.default_rng(index)
    start = pd.Timestamp("2024-11-04")
    slope, amplitude, peak = rng.uniform(-0.3, 0.3), rng.uniform(2, 15), rng.integers(0, 52)
    series = [
        {
            "ds": (start + pd.Timedelta(weeks=i)).date().isoformat(),
            "y": float(
                np.clip(
                    45
                    + slope * i
                    + amplitude * math.cos(2 * math.pi * (i - peak) / 52.18)
                    + rng.normal(0, 2),
                    0,
                    100,
                )
            ),
        }
        for i in range(110)
    ]
    return {
        "category": ["cooking", "technology", "gaming", "personal_finance"][index % 4],
        "series": series,
        "score": {
            "recent_videos": int(rng.integers(10, 10**6)),
            "median_subscribers": float(rng.integers(100, 10**7)),
            "median_views": float(rng.integers(100, 10**7)),
        },
    }


def score_chunk(indices: list[int]) -> list[float]:
    from backend.niches.catalog import catalog
    from backend.niches.discovery.analysis import Evidence, evaluate
    from backend.niches.discovery.scoring import Weights

    table, weights, totals = catalog(), Weights(), []
    for index in indices:
        niche = stored_niche(index)
        analysis = evaluate(
            Evidence(series=niche["series"]), niche["category"], table, weights, niche["score"]
        )
        totals.append(analysis.score.total)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--niches", type=int, default=200)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    score_chunk([10**6])  # warm-up: imports and the first (compiling) Prophet fit
    indices = list(range(args.niches))
    chunks = [indices[i :: args.workers] for i in range(args.workers)]
    started = time.perf_counter()
    if args.workers == 1:
        totals = score_chunk(indices)
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            totals = [t for part in pool.map(score_chunk, chunks) for t in part]
    seconds = time.perf_counter() - started
    rate = len(totals) / seconds
    print(f"scored {len(totals)} niches in {seconds:.1f}s with {args.workers} worker(s)")
    print(
        f"scores: min {min(totals):.1f}, median {float(np.median(totals)):.1f}, "
        f"max {max(totals):.1f}"
    )
    print(
        f"throughput: {rate:.2f} niches/second -> {rate * 86400:,.0f} niches/day projected "
        f"({1000 / rate / 60:.1f} minutes for 1,000)"
    )


if __name__ == "__main__":
    main()
