"""What one AI call cost: units, device-seconds and dollars, read from the gateway's response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "image", "speech", "embeddings"]
Unit = Literal["tokens", "images", "characters", "inputs"]


@dataclass(frozen=True)
class AIUsage:
    kind: str  # text | image | speech | embeddings
    provider: str  # the model (and backend) that served the call, e.g. "smollm2-135m-instruct/gguf"
    units: float
    unit: str  # tokens | images | characters | inputs
    device_seconds: float
    cost_usd: float

    @classmethod
    def from_response(cls, response: Any, kind: Kind, *, unit: Unit | None = None,
                      units: float | None = None) -> AIUsage:
        """Build from an ``openai`` SDK response object returned by the gateway.

        The gateway adds ``device_seconds`` and ``cost_usd`` to the standard ``usage`` object
        and a top-level ``ytempire`` object naming the model and backend that served the call.
        Another OpenAI-compatible server yields zeros for what it does not report.
        """
        usage = getattr(response, "usage", None)
        served = _extra(response).get("ytempire") or {}
        model = str(served.get("model") or getattr(response, "model", "") or "unknown")
        backend = str(served.get("backend") or "")
        provider = f"{model}/{backend}" if backend else model
        unit = unit or _DEFAULT_UNIT[kind]
        if units is None:
            units = _units(usage, unit)
        return cls(kind, provider, float(units), unit, _number(usage, "device_seconds"),
                   _number(usage, "cost_usd"))


_DEFAULT_UNIT: dict[str, Unit] = {
    "text": "tokens", "image": "images", "speech": "characters", "embeddings": "inputs",
}


def _extra(obj: Any) -> dict[str, Any]:
    extra = getattr(obj, "model_extra", None)
    return extra if isinstance(extra, dict) else {}


def _number(usage: Any, name: str) -> float:
    if usage is None:
        return 0.0
    value = getattr(usage, name, None)
    if value is None:
        value = _extra(usage).get(name)
    return float(value or 0.0)


def _units(usage: Any, unit: str) -> float:
    if unit == "tokens":
        return _number(usage, "total_tokens")
    if unit == "images":
        return _number(usage, "images")
    if unit == "characters":
        return _number(usage, "characters")
    return 0.0


def total_cost(usages: list[AIUsage]) -> float:
    return sum(u.cost_usd for u in usages)


def total_device_seconds(usages: list[AIUsage]) -> float:
    return sum(u.device_seconds for u in usages)
