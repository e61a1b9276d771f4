"""What a call cost: electricity for local models, list prices for cloud ones."""

from __future__ import annotations

from ai.backends.base import CloudUsage
from ai.hardware import Profile
from ai.registry import ModelSpec

JOULES_PER_KWH = 3_600_000


def local_watts(spec: ModelSpec, profile: Profile, device: str) -> float:
    if spec.power_watts is not None:
        return spec.power_watts
    return profile.board_watts if device == "cuda" else profile.cpu_watts


def local_cost(device_seconds: float, watts: float, usd_per_kwh: float) -> float:
    return device_seconds * watts / JOULES_PER_KWH * usd_per_kwh


def cloud_cost(spec: ModelSpec, usage: CloudUsage) -> float:
    price = spec.price
    return (
        usage.input_tokens * price.get("per_1m_input_tokens", 0.0) / 1e6
        + usage.output_tokens * price.get("per_1m_output_tokens", 0.0) / 1e6
        + usage.images * price.get("per_image", 0.0)
        + usage.chars * price.get("per_1m_chars", 0.0) / 1e6
    )
