"""Cost-ledger lines from what the AI gateway and the agents report."""

from __future__ import annotations

from typing import Any

from ai.calls import CallUsage
from backend.pipeline.context import Charge

# usage key -> ledger unit, most telling first
UNITS = {
    "total_tokens": "tokens",
    "completion_tokens": "tokens",
    "characters": "characters",
    "images": "images",
    "inputs": "inputs",
}


def from_call(kind: str, usage: CallUsage) -> Charge:
    unit, units = "call", 1.0
    for key, name in UNITS.items():
        if key in usage.units:
            unit, units = name, usage.units[key]
            break
    return Charge(
        kind=kind,
        provider=f"{usage.backend or 'unknown'}:{usage.model or kind}"[:64],
        units=units,
        unit=unit,
        device_seconds=usage.device_seconds,
        cost_usd=usage.cost_usd,
    )


def from_agent(usage: Any) -> Charge:
    """An agent's AIUsage (kind, provider, units, unit, device_seconds, cost_usd)."""
    return Charge(
        kind=str(usage.kind),
        provider=str(usage.provider)[:64],
        units=float(usage.units),
        unit=str(usage.unit)[:16],
        device_seconds=float(usage.device_seconds),
        cost_usd=float(usage.cost_usd),
    )
