"""The gateway core: fallback chains, the model manager, cloud clients and accounting.

Each modality (``ai/services/*``) describes one attempt on one model; :meth:`Gateway.serve`
walks the chain, skips what cannot run here, falls through on failures and timeouts,
and prices the call that succeeded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

from ai.backends.base import CloudUsage, LocalModel
from ai.backends.elevenlabs_cloud import ElevenLabsCloud
from ai.backends.openai_cloud import OpenAICloud
from ai.backends.torch_utils import is_out_of_memory
from ai.cost import cloud_cost, local_cost, local_watts
from ai.errors import (
    AllBackendsFailed,
    BackendError,
    BackendUnavailable,
    GatewayError,
    InvalidRequest,
    UnknownModel,
)
from ai.hardware import Profile, resolve_profile
from ai.loader import load_local, missing_weights
from ai.metrics import (
    COST_USD,
    DEVICE_SECONDS,
    FALLBACKS,
    MODEL_LATENCY,
    REQUESTS,
    TOKENS_PER_SECOND,
    UNITS,
)
from ai.registry import (
    ALLOW_NONCOMMERCIAL_SETTING,
    MODALITIES,
    TIERS,
    Modality,
    ModelSpec,
    Registry,
    check_commercial,
    load_registry,
)
from ai.schemas import Served, Skip, Usage
from ai.settings import AISettings
from ai.vram import ModelManager

log = structlog.get_logger(__name__)
T = TypeVar("T")
ALIASES = frozenset({"auto", "default", ""})


@dataclass
class Attempt(Generic[T]):
    """What one backend produced, with what it took to produce it."""

    value: T
    device: str  # cuda, cpu or cloud
    device_seconds: float = 0.0
    cloud: CloudUsage | None = None


@dataclass
class Outcome(Generic[T]):
    value: T
    served: Served
    usage: Usage


class Gateway:
    def __init__(
        self,
        settings: AISettings,
        registry: Registry | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry or load_registry(settings.ai_registry_path)
        self.profile = profile or resolve_profile(settings.ai_profile, settings.ai_hardware_dir)
        self.manager = ModelManager(self.profile.memory_budget_bytes, self._load)
        self.chains = {m: self._expand_chain(m) for m in MODALITIES}
        self.licence_warnings = self._check_licences()
        self._openai: OpenAICloud | None = None
        self._elevenlabs: ElevenLabsCloud | None = None
        self.started_at = time.time()

    # --- chains -----------------------------------------------------------
    def _expand_chain(self, modality: Modality) -> list[ModelSpec]:
        tokens = getattr(self.settings, f"ai_fallback_{modality}").split(",")
        return self._expand(modality, tokens, f"YTE_AI_FALLBACK_{modality.upper()}")

    def _expand(self, modality: Modality, tokens: list[str], source: str) -> list[ModelSpec]:
        """Chain entries (a tier or a model id) to the models they stand for, in order."""
        ids: list[str] = []
        for entry in (t.strip() for t in tokens if t.strip()):
            if entry == "local-gpu":
                ids.extend(self.profile.models.get(modality, []))
            elif entry in TIERS:
                ids.extend(self.registry.tier_defaults(entry, modality))
            else:
                ids.append(entry)
        specs = []
        for model_id in dict.fromkeys(ids):
            spec = self.registry.get(model_id)
            if spec is None or spec.modality != modality:
                hint = (
                    " (that is an alias; name a model id)" if self.registry.alias(model_id) else ""
                )
                raise ValueError(
                    f"{source} names {model_id!r}, which is not a {modality} model in the "
                    f"registry{hint}"
                )
            specs.append(spec)
        return specs

    def _check_licences(self) -> list[str]:
        """A non-commercial model in the profile or a chain: refused, or warned about."""
        selected: dict[str, list[ModelSpec]] = {
            f"hardware profile {self.profile.name} ({modality})": [
                spec for i in ids if (spec := self.registry.get(i)) is not None
            ]
            for modality, ids in self.profile.models.items()
        }
        for modality, chain in self.chains.items():
            selected[f"YTE_AI_FALLBACK_{modality.upper()}"] = chain
        warnings = check_commercial(selected, self.settings.ai_allow_noncommercial_models)
        for warning in warnings:
            log.warning("ai.licence.noncommercial", detail=warning)
        return warnings

    def alias_chain(self, name: str) -> list[ModelSpec]:
        """The local models an alias stands for on this profile (``aliases:`` in the registry)."""
        alias = self.registry.alias(name)
        if alias is None:
            raise KeyError(name)
        return self._expand(alias.modality, alias.serve, f"registry alias {name}")

    def chain_for(self, modality: Modality, requested: str | None) -> list[ModelSpec]:
        chain = self.chains[modality]
        if requested is None or requested in ALIASES or requested == modality:
            return list(chain)
        alias = self.registry.alias(requested)
        if alias is not None:
            if alias.modality != modality:
                raise InvalidRequest(
                    f"model {requested!r} is an alias for {alias.modality} models, not {modality}"
                )
            return self.alias_chain(requested)
        spec = self.registry.get(requested)
        if spec is None:
            known = [m.id for m in self.registry.of_modality(modality)]
            aliases = [n for n, a in self.registry.aliases.items() if a.modality == modality]
            raise UnknownModel(
                f"unknown model {requested!r}: no such model or alias here; {modality} models: "
                f"{', '.join(known)}; aliases: {', '.join(aliases) or 'none'}",
                details={"model": requested, "available": known, "aliases": aliases},
                param="model",
            )
        if spec.modality != modality:
            raise InvalidRequest(f"model {requested!r} is a {spec.modality} model, not {modality}")
        return [spec, *(s for s in chain if s.id != spec.id)]

    def unavailable(self, spec: ModelSpec) -> str | None:
        """Why this model cannot serve here (no key, no CUDA, no weights), or None."""
        return unavailable_reason(spec, self.settings, self.profile)

    # --- running ----------------------------------------------------------
    async def serve(
        self,
        modality: Modality,
        chain: list[ModelSpec],
        attempt: Callable[[ModelSpec], Awaitable[Attempt[T]]],
        units: Callable[[T], dict[str, float]],
        usage: Callable[[T], Usage],
        skip_if: Callable[[ModelSpec], str | None] | None = None,
    ) -> Outcome[T]:
        started = time.perf_counter()
        spec, result, skipped = await self.first_success(modality, chain, attempt, skip_if)
        return self.account(modality, spec, result, skipped, units, usage, started)

    async def first_success(
        self,
        modality: Modality,
        chain: list[ModelSpec],
        attempt: Callable[[ModelSpec], Awaitable[Attempt[T]]],
        skip_if: Callable[[ModelSpec], str | None] | None = None,
    ) -> tuple[ModelSpec, Attempt[T], list[Skip]]:
        """Walk the chain: skip what cannot run here, fall through on failure or timeout."""
        skipped: list[Skip] = []
        for spec in chain:
            reason = self.unavailable(spec) or (skip_if(spec) if skip_if else None)
            if reason is None:
                try:
                    result = await asyncio.wait_for(
                        attempt(spec), self.settings.ai_request_timeout_seconds
                    )
                except GatewayError:
                    raise
                except TimeoutError:
                    reason = f"timed out after {self.settings.ai_request_timeout_seconds:g} s"
                except Exception as exc:
                    reason = _describe_failure(exc)
                    log.warning(
                        "ai.backend.failed",
                        model=spec.id,
                        reason=reason,
                        exc_info=not isinstance(exc, BackendError),
                    )
                else:
                    return spec, result, skipped
            skipped.append(Skip(model=spec.id, tier=spec.tier, reason=reason))
            FALLBACKS.labels(modality=modality, model=spec.id, reason=_reason_kind(reason)).inc()
        REQUESTS.labels(modality=modality, model="none", backend="none", outcome="failed").inc()
        raise AllBackendsFailed(
            f"no {modality} backend could serve this request: "
            + "; ".join(f"{s.model}: {s.reason}" for s in skipped),
            details={"skipped": [s.model_dump() for s in skipped]},
        )

    def account(
        self,
        modality: Modality,
        spec: ModelSpec,
        result: Attempt[T],
        skipped: list[Skip],
        units: Callable[[T], dict[str, float]],
        usage_of: Callable[[T], Usage],
        started: float,
    ) -> Outcome[T]:
        if spec.is_cloud:
            cost = cloud_cost(spec, result.cloud or CloudUsage())
        else:
            watts = local_watts(spec, self.profile, result.device)
            cost = local_cost(result.device_seconds, watts, self.settings.electricity_usd_per_kwh)
        usage = usage_of(result.value)
        usage.device_seconds = round(result.device_seconds, 4)
        usage.cost_usd = round(cost, 8)
        served = Served(
            model=spec.id,
            backend=spec.backend,
            tier=spec.tier,
            device=result.device,
            skipped=skipped,
        )
        seconds = time.perf_counter() - started
        REQUESTS.labels(modality=modality, model=spec.id, backend=spec.backend, outcome="ok").inc()
        MODEL_LATENCY.labels(modality=modality, model=spec.id).observe(seconds)
        DEVICE_SECONDS.labels(model=spec.id).inc(result.device_seconds)
        COST_USD.labels(model=spec.id).inc(cost)
        served_units = units(result.value)
        for unit, amount in served_units.items():
            if amount:
                UNITS.labels(model=spec.id, unit=unit).inc(amount)
        generating_s = result.device_seconds or seconds  # a cloud call has no device time
        tokens = served_units.get("completion_tokens", 0)
        if modality == "text" and tokens and generating_s > 0:
            TOKENS_PER_SECOND.labels(model=spec.id).observe(tokens / generating_s)
        log.info(
            "ai.served",
            modality=modality,
            model=spec.id,
            backend=spec.backend,
            device=result.device,
            device_seconds=usage.device_seconds,
            cost_usd=cost,
            skipped=[s.model for s in skipped],
            seconds=round(seconds, 3),
        )
        return Outcome(result.value, served, usage)

    async def run_local(self, spec: ModelSpec, call: Callable[[Any], T]) -> Attempt[T]:
        """Run ``call(model)`` in a worker thread while the manager keeps the model loaded."""
        value, device, seconds = await self.manager.run(spec, call)
        return Attempt(value, device, seconds)

    def _load(self, spec: ModelSpec) -> LocalModel:
        return load_local(spec, self.settings.models_dir)

    # --- cloud clients ----------------------------------------------------
    @property
    def openai(self) -> OpenAICloud:
        if self._openai is None:
            if not self.settings.openai_api_key:
                raise BackendUnavailable("no OpenAI API key configured")
            self._openai = OpenAICloud(
                self.settings.openai_api_key,
                self.settings.openai_base_url,
                self.settings.ai_request_timeout_seconds,
            )
        return self._openai

    @property
    def elevenlabs(self) -> ElevenLabsCloud:
        if self._elevenlabs is None:
            if not self.settings.elevenlabs_api_key:
                raise BackendUnavailable("no ElevenLabs API key configured")
            self._elevenlabs = ElevenLabsCloud(
                self.settings.elevenlabs_api_key,
                self.settings.elevenlabs_base_url,
                self.settings.ai_request_timeout_seconds,
            )
        return self._elevenlabs

    # --- introspection ----------------------------------------------------
    def models_info(self) -> list[dict[str, Any]]:
        loaded = self.manager.loaded()
        rows = []
        for spec in self.registry.models:
            entry = loaded.get(spec.id)
            rows.append(
                {
                    "id": spec.id,
                    "object": "model",
                    "created": int(self.started_at),
                    "owned_by": "cloud" if spec.is_cloud else "ytempire",
                    "modality": spec.modality,
                    "backend": spec.backend,
                    "tier": spec.tier,
                    "license": spec.license,
                    "commercial": spec.commercial,
                    "license_note": spec.license_note or None,
                    "warning": (
                        f"NON-COMMERCIAL licence {spec.license}: not for a monetized channel"
                        if spec.noncommercial
                        else None
                    ),
                    "loaded": entry is not None,
                    "device": entry.model.device if entry else None,
                    "memory_bytes": entry.reserved_bytes if entry else 0,
                    "vram_gb": spec.vram_gb,
                    "in_chain": spec in self.chains[spec.modality],
                    "unavailable": self.unavailable(spec),
                }
            )
        return rows

    def aliases_info(self) -> list[dict[str, Any]]:
        """Each registry alias, the models it stands for here and the one that would serve."""
        rows = []
        for name, alias in self.registry.aliases.items():
            chain = self.alias_chain(name)
            serving = next((s.id for s in chain if self.unavailable(s) is None), None)
            rows.append(
                {
                    "id": name,
                    "object": "model.alias",
                    "modality": alias.modality,
                    "serve": list(alias.serve),
                    "models": [s.id for s in chain],
                    "served_by": serving,
                }
            )
        return rows

    async def close(self) -> None:
        await self.manager.unload_all()


def unavailable_reason(
    spec: ModelSpec, settings: AISettings, profile: Profile, cuda: bool | None = None
) -> str | None:
    """Why ``spec`` cannot serve on this machine (no key, no CUDA, over budget, no weights)."""
    if spec.backend == "openai" and not settings.openai_api_key:
        return "no OpenAI API key configured (YTE_OPENAI_API_KEY)"
    if spec.backend == "elevenlabs" and not settings.elevenlabs_api_key:
        return "no ElevenLabs API key configured (YTE_ELEVENLABS_API_KEY)"
    if spec.noncommercial and not settings.ai_allow_noncommercial_models:
        return (
            f"licence {spec.license} forbids commercial use; set "
            f"{ALLOW_NONCOMMERCIAL_SETTING}=true to opt in"
        )
    if spec.is_cloud:
        return None
    if spec.device == "cuda" and not (_cuda_available() if cuda is None else cuda):
        return "needs a CUDA device; none is available"
    if spec.vram_gb * 1024**3 > profile.memory_budget_bytes:
        return (
            f"needs {spec.vram_gb:g} GB; profile {profile.name} allows "
            f"{profile.memory_budget_gb:g} GB"
        )
    return missing_weights(spec, settings.models_dir)


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _describe_failure(exc: BaseException) -> str:
    if is_out_of_memory(exc):
        return f"out of memory: {exc}"[:300]
    text = str(exc) or type(exc).__name__
    return text[:300]


def _reason_kind(reason: str) -> str:
    lowered = reason.lower()
    for kind in ("api key", "cuda", "weights", "memory", "timed out", "voice"):
        if kind in lowered:
            return kind.replace(" ", "_")
    return "error"
