"""Every Prometheus metric of the gateway, in one place (default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "ytempire_ai_requests_total",
    "Gateway requests by outcome",
    ["modality", "model", "backend", "outcome"],
)
FALLBACKS = Counter(
    "ytempire_ai_fallbacks_total",
    "Backends skipped or failed before one served",
    ["modality", "model", "reason"],
)
DEVICE_SECONDS = Counter(
    "ytempire_ai_device_seconds_total", "Seconds a local device spent on calls", ["model"]
)
COST_USD = Counter("ytempire_ai_cost_usd_total", "Estimated cost of calls in USD", ["model"])
UNITS = Counter(
    "ytempire_ai_units_total", "Units served (tokens, images, chars)", ["model", "unit"]
)
LATENCY = Histogram(
    "ytempire_ai_request_seconds",
    "Gateway request latency",
    ["modality"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
IMAGE_BATCH = Histogram(
    "ytempire_ai_image_batch_size",
    "Images per micro-batched model call",
    ["model"],
    buckets=(1, 2, 3, 4, 6, 8, 12, 16),
)
LOADED_BYTES = Gauge("ytempire_ai_model_memory_bytes", "Memory held by a loaded model", ["model"])
MODEL_LOAD_SECONDS = Histogram(
    "ytempire_ai_model_load_seconds",
    "Time to load a model",
    ["model"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
MODEL_EVICTIONS = Counter("ytempire_ai_model_evictions_total", "LRU evictions", ["model"])
