"""Prophet forecasts of one interest series: fast settings, cached per process."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

import pandas as pd
import structlog

logging.getLogger("prophet.plot").disabled = True  # "Importing plotly failed" is noise here

from prophet import Prophet  # noqa: E402  (after the plot logger is quiet)


def _quiet_stan() -> None:
    """cmdstanpy configures its logger when Prophet first imports it (at the first fit)."""
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)


log = structlog.get_logger(__name__)

UNCERTAINTY_SAMPLES = 200
YEARLY_FOURIER_ORDER = 6
MIN_POINTS = 8
HORIZON_BY_FREQ = {"W": 8, "D": 28}  # periods ahead: two months of weekly or four weeks of daily


@dataclass(frozen=True)
class Forecast:
    """The next ``horizon`` periods and how they compare with the recent level."""

    points: list[dict[str, float | str]]  # ds (ISO date), yhat, yhat_lower, yhat_upper
    recent_level: float  # mean of the last ``horizon`` observations
    forecast_level: float  # mean yhat over the next ``horizon`` periods
    growth: float  # forecast_level / recent_level - 1
    fit_seconds: float


_cache: dict[str, Forecast] = {}
_lock = threading.Lock()


def frequency(frame: pd.DataFrame) -> str:
    """``W`` for weekly series, ``D`` for daily ones (from the median spacing)."""
    spacing = frame["ds"].sort_values().diff().dropna().median()
    if pd.isna(spacing):
        raise ValueError("a series needs at least two dated points")
    return "D" if spacing <= pd.Timedelta(days=2) else "W"


def forecast(frame: pd.DataFrame) -> Forecast:
    """Fit Prophet on ``frame`` (``ds``, ``y``) and forecast; identical series hit the cache."""
    if len(frame) < MIN_POINTS:
        raise ValueError(f"a series needs at least {MIN_POINTS} points, got {len(frame)}")
    key = _key(frame)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    result = _fit(frame)
    with _lock:
        _cache[key] = result
    return result


def _key(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(frame[["ds", "y"]], index=False).values.tobytes())
    return digest.hexdigest()


def _fit(frame: pd.DataFrame) -> Forecast:
    started = time.perf_counter()
    freq = frequency(frame)
    horizon = HORIZON_BY_FREQ[freq]
    span_days = (frame["ds"].max() - frame["ds"].min()).days
    model = Prophet(
        growth="linear",
        yearly_seasonality=YEARLY_FOURIER_ORDER if span_days >= 730 else False,
        weekly_seasonality=freq == "D",
        daily_seasonality=False,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
        mcmc_samples=0,
    )
    _quiet_stan()
    model.fit(frame[["ds", "y"]])
    step = pd.Timedelta(days=1 if freq == "D" else 7)
    future = pd.DataFrame({"ds": [frame["ds"].max() + step * (i + 1) for i in range(horizon)]})
    predicted = model.predict(future)
    points: list[dict[str, float | str]] = [
        {
            "ds": row.ds.date().isoformat(),
            "yhat": round(float(row.yhat), 3),
            "yhat_lower": round(float(row.yhat_lower), 3),
            "yhat_upper": round(float(row.yhat_upper), 3),
        }
        for row in predicted.itertuples()
    ]
    recent = float(frame.sort_values("ds")["y"].tail(horizon).mean())
    ahead = float(predicted["yhat"].mean())
    seconds = time.perf_counter() - started
    log.debug("trend.forecast.fit", points=len(frame), freq=freq, seconds=round(seconds, 3))
    return Forecast(points, recent, ahead, ahead / max(recent, 1.0) - 1.0, seconds)
