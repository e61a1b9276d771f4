"""Every Prometheus metric of the gateway, in one place (default registry).

Per-model figures are recorded where a call is priced (``Gateway.account``: latency,
tokens per second) and where models are loaded and evicted (``ai/vram.py``: memory
held per model and in total, the profile's budget, loads, LRU evictions).
"""

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
MODEL_LATENCY = Histogram(
    "ytempire_ai_model_latency_seconds",
    "Seconds from a request to its answer, by the model that served it (fallbacks included)",
    ["modality", "model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TOKENS_PER_SECOND = Histogram(
    "ytempire_ai_text_tokens_per_second",
    "Completion tokens per second of generation (device time; wall time for cloud models)",
    ["model"],
    buckets=(1, 2, 5, 10, 20, 40, 60, 100, 150, 250, 500, 1000),
)
LOADED_BYTES = Gauge("ytempire_ai_model_memory_bytes", "Memory held by a loaded model", ["model"])
MEMORY_HELD = Gauge(
    "ytempire_ai_memory_held_bytes",
    "Memory the loaded models hold together (VRAM on a GPU profile, RAM on a CPU one)",
)
MEMORY_BUDGET = Gauge(
    "ytempire_ai_memory_budget_bytes", "The hardware profile's memory budget for loaded models"
)
MODEL_LOADS = Counter(
    "ytempire_ai_model_loads_total",
    "Model loads by outcome (ok, failed, out_of_memory)",
    ["model", "outcome"],
)
MODEL_LOAD_SECONDS = Histogram(
    "ytempire_ai_model_load_seconds",
    "Time to load a model",
    ["model"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
MODEL_EVICTIONS = Counter(
    "ytempire_ai_model_evictions_total",
    "Models evicted (least recently used) to make room for another within the budget",
    ["model"],
)
