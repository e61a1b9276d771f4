"""The model registry (``models/registry.yaml``): what each model is and where it lives."""

from __future__ import annotations

import importlib.util
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Modality = Literal["text", "image", "speech", "embeddings"]
MODALITIES: tuple[Modality, ...] = ("text", "image", "speech", "embeddings")
Tier = Literal["local-gpu", "cloud", "cpu"]
TIERS: tuple[Tier, ...] = ("local-gpu", "cloud", "cpu")
BackendKind = Literal[
    "transformers",
    "gguf",
    "diffusers-sdxl",
    "slides",
    "vits",
    "espeak",
    "sentence-embeddings",
    "openai",
    "elevenlabs",
    "kokoro",
]
CLOUD_BACKENDS: frozenset[str] = frozenset({"openai", "elevenlabs"})
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = REPO_ROOT / "models" / "registry.yaml"


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    modality: Modality
    backend: BackendKind
    tier: Tier
    description: str = ""
    # SPDX-like id of the weights' (or the service's) licence, and whether a monetized
    # channel may use what the model produces; None only for entries built in code, the
    # registry file must say (load_registry refuses an entry without it)
    license: str = "unknown"
    commercial: bool | None = None
    license_note: str = ""  # the conditions attached to commercial use, when there are any
    # where the weights are: a folder under models_dir, or a file inside a pip package
    path: str | None = None
    package: str | None = None
    file: str | None = None
    hf_repo: str | None = None
    hf_files: list[str] | None = None  # allow patterns for `models pull`
    extra_weights: list[dict[str, str]] = Field(default_factory=list)
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    device: Literal["cuda", "cpu", "auto"] = "auto"
    vram_gb: float = Field(default=0.0, ge=0)
    power_watts: float | None = Field(default=None, ge=0)
    remote_id: str | None = None  # the provider's model name for cloud backends
    price: dict[str, float] = Field(default_factory=dict)
    voices: dict[str, str] = Field(default_factory=dict)
    # a multi-voice model's own voices: voice id -> its language (an eSpeak NG voice name,
    # used for G2P), e.g. kokoro's af_heart -> en-us
    speakers: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        is_cloud = self.backend in CLOUD_BACKENDS
        if is_cloud != (self.tier == "cloud"):
            raise ValueError(f"{self.id}: backend {self.backend} cannot be in tier {self.tier}")
        if is_cloud and not self.remote_id:
            raise ValueError(f"{self.id}: a cloud model needs remote_id")
        if self.backend == "kokoro":
            if not self.speakers:
                raise ValueError(f"{self.id}: a kokoro model lists its voices under speakers")
            unknown = sorted(set(self.voices.values()) - set(self.speakers))
            if unknown:
                raise ValueError(f"{self.id}: voices name speakers it does not list: {unknown}")
        return self

    @property
    def is_cloud(self) -> bool:
        return self.tier == "cloud"

    @property
    def noncommercial(self) -> bool:
        """The licence forbids use on a monetized channel (unknown is not the same)."""
        return self.commercial is False

    def licence_summary(self) -> str:
        """``apache-2.0``, ``cc-by-nc-4.0 (NON-COMMERCIAL)``, ``llama3.1 (conditions: ...)``."""
        if self.commercial is False:
            return f"{self.license} (NON-COMMERCIAL)"
        if self.commercial is None:
            return f"{self.license} (commercial use unknown)"
        return (
            f"{self.license} (conditions: {self.license_note})"
            if self.license_note
            else (self.license)
        )

    def local_dir(self, models_dir: Path) -> Path | None:
        """The folder holding this model's files, or None for cloud/procedural models."""
        if self.path:
            candidate = Path(self.path).expanduser()
            return candidate if candidate.is_absolute() else models_dir / candidate
        if self.package:
            return package_dir(self.package)
        return None


def package_dir(package: str) -> Path:
    """A package's folder, found without importing it (its ``__init__`` may be heavy)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"python package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class Alias(BaseModel):
    """An OpenAI model name answered by local models (``aliases:`` in the registry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    modality: Modality
    # chain entries tried in order: a tier (local-gpu, cpu, cloud) or a model id
    serve: list[str] = Field(default_factory=lambda: ["local-gpu", "cpu"], min_length=1)


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[ModelSpec]
    defaults: dict[Tier, dict[Modality, list[str]]] = Field(default_factory=dict)
    aliases: dict[str, Alias] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references_exist(self) -> Registry:
        ids = [m.id for m in self.models]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"duplicate model ids: {sorted(duplicates)}")
        for tier, per_modality in self.defaults.items():
            for modality, model_ids in per_modality.items():
                for model_id in model_ids:
                    spec = self.by_id.get(model_id)
                    if spec is None:
                        raise ValueError(f"defaults.{tier}.{modality}: unknown model {model_id}")
                    if spec.modality != modality:
                        raise ValueError(
                            f"defaults.{tier}.{modality}: {model_id} is {spec.modality}"
                        )
        for name, alias in self.aliases.items():
            if name in self.by_id:
                raise ValueError(f"alias {name!r} is also a model id; rename one of them")
            for entry in alias.serve:
                if entry in TIERS:
                    continue
                spec = self.by_id.get(entry)
                if spec is None:
                    raise ValueError(f"aliases.{name}: unknown model or tier {entry!r}")
                if spec.modality != alias.modality:
                    raise ValueError(
                        f"aliases.{name}: {entry} is {spec.modality}, not {alias.modality}"
                    )
        return self

    @cached_property
    def by_id(self) -> dict[str, ModelSpec]:
        return {m.id: m for m in self.models}

    def get(self, model_id: str) -> ModelSpec | None:
        return self.by_id.get(model_id)

    def alias(self, name: str) -> Alias | None:
        return self.aliases.get(name)

    def of_modality(self, modality: Modality) -> list[ModelSpec]:
        return [m for m in self.models if m.modality == modality]

    def tier_defaults(self, tier: Tier, modality: Modality) -> list[str]:
        return list(self.defaults.get(tier, {}).get(modality, []))


ALLOW_NONCOMMERCIAL_SETTING = "YTE_AI_ALLOW_NONCOMMERCIAL_MODELS"


class NonCommercialModel(ValueError):
    """A profile or chain selects a model whose licence forbids commercial use."""


def load_registry(path: Path | None = None) -> Registry:
    source = path or DEFAULT_REGISTRY
    data = yaml.safe_load(source.read_text())
    for entry in data.get("models") or []:
        if isinstance(entry, dict) and (
            entry.get("commercial") is None or not entry.get("license")
        ):
            raise ValueError(
                f"{source}: model {entry.get('id')!r} must state its licence "
                "(license: <spdx id>) and whether it allows commercial use (commercial: true|false)"
            )
    return Registry.model_validate(data)


def noncommercial_message(spec: ModelSpec, where: str) -> str:
    return (
        f"{where} selects {spec.id}, whose licence {spec.license} does not allow commercial use "
        f"(a monetized channel may not use it): pick a commercially licensed model, or set "
        f"{ALLOW_NONCOMMERCIAL_SETTING}=true to opt in knowingly"
    )


def check_commercial(selected: dict[str, list[ModelSpec]], allow_noncommercial: bool) -> list[str]:
    """Refuse non-commercial models unless opted in; with the opt-in, the warnings to show.

    ``selected``: where each list of models comes from (``profile rtx5090-32gb``,
    ``YTE_AI_FALLBACK_SPEECH``) -> the models it selects.
    """
    warnings: list[str] = []
    for where, specs in selected.items():
        for spec in specs:
            if not spec.noncommercial:
                continue
            message = noncommercial_message(spec, where)
            if not allow_noncommercial:
                raise NonCommercialModel(message)
            warnings.append(
                f"{where} uses {spec.id} ({spec.license}): NON-COMMERCIAL licence, allowed by "
                f"{ALLOW_NONCOMMERCIAL_SETTING}=true; do not use it on a monetized channel"
            )
    return list(dict.fromkeys(warnings))
