"""Fixtures for the AI gateway tests: settings, apps and tiny models (session-scoped)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import openai
import pytest
from fastapi import FastAPI

from ai.app import create_app
from ai.gateway import Gateway
from ai.hardware import Profile
from ai.registry import REPO_ROOT, ModelSpec, Registry, load_registry
from ai.settings import AISettings
from tests.ai.tiny_models import build_tiny_llama, build_tiny_sdxl, build_tiny_vits

API_KEY = "test-gateway-key"


def make_settings(models_dir: Path, **overrides: Any) -> AISettings:
    values: dict[str, Any] = {
        "ai_base_url": None,
        "ai_api_key": API_KEY,
        "ai_profile": "cpu-only",
        "models_dir": models_dir,
        "electricity_usd_per_kwh": 0.20,
        "openai_api_key": None,
        "openai_base_url": None,
        "elevenlabs_api_key": None,
        "elevenlabs_base_url": None,
        "ai_fallback_text": "local-gpu,cloud,cpu",
        "ai_fallback_image": "local-gpu,cloud,cpu",
        "ai_fallback_speech": "local-gpu,cloud,cpu",
        "ai_fallback_embeddings": "local-gpu,cloud,cpu",
        "ai_registry_path": None,
        "ai_hardware_dir": None,
        "ai_request_timeout_seconds": 300,
    }
    values.update(overrides)
    return AISettings(_env_file=None, **values)


def sdk_client(app: FastAPI) -> openai.AsyncOpenAI:
    """The official SDK pointed at an app, in-process."""
    transport = httpx.ASGITransport(app=app)
    http_client = httpx.AsyncClient(transport=transport, timeout=300)
    return openai.AsyncOpenAI(
        base_url="http://localhost/v1",
        api_key=API_KEY,
        http_client=cast(Any, http_client),
        max_retries=0,
    )


def raw_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://localhost",
        headers={"authorization": f"Bearer {API_KEY}"},
        timeout=300,
    )


@pytest.fixture(scope="session")
def repo_models_dir() -> Path:
    """The real models dir: the SmolLM2 GGUF conversion is cached there between runs."""
    return REPO_ROOT / "models"


@pytest.fixture(scope="session")
def cpu_app(repo_models_dir: Path) -> FastAPI:
    return create_app(make_settings(repo_models_dir))


@pytest.fixture(scope="session")
async def cpu_sdk(cpu_app: FastAPI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = sdk_client(cpu_app)
    yield client
    await client.close()


@pytest.fixture(scope="session")
async def cpu_http(cpu_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with raw_client(cpu_app) as client:
        yield client


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    broken = root / "broken-llama"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    return {
        "llama": build_tiny_llama(root / "tiny-llama"),
        "sdxl": build_tiny_sdxl(root / "tiny-sdxl"),
        "vits": build_tiny_vits(root / "tiny-vits"),
        "broken": broken,
    }


def tiny_specs(dirs: dict[str, Path]) -> list[ModelSpec]:
    common: dict[str, Any] = {"tier": "local-gpu", "device": "cpu", "vram_gb": 0.25}
    return [
        ModelSpec(
            id="tiny-llama",
            modality="text",
            backend="transformers",
            path=str(dirs["llama"]),
            options={"max_context": 256},
            **common,
        ),
        ModelSpec(
            id="tiny-sdxl",
            modality="image",
            backend="diffusers-sdxl",
            path=str(dirs["sdxl"]),
            dtype="float16",
            options={"steps": 2, "guidance_scale": 5.0},
            **common,
        ),
        ModelSpec(
            id="tiny-vits", modality="speech", backend="vits", path=str(dirs["vits"]), **common
        ),
        ModelSpec(
            id="broken-llama",
            modality="text",
            backend="transformers",
            path=str(dirs["broken"]),
            **common,
        ),
        ModelSpec(
            id="absent-llama",
            modality="text",
            backend="transformers",
            path=str(dirs["broken"].parent / "not-pulled"),
            **common,
        ),
    ]


def tiny_registry(dirs: dict[str, Path]) -> Registry:
    base = load_registry()
    return Registry(
        models=[*base.models, *tiny_specs(dirs)], defaults=base.defaults, aliases=base.aliases
    )


def tiny_profile(budget_gb: float = 1.0, **overrides: Any) -> Profile:
    values: dict[str, Any] = {
        "name": "test-tiny",
        "memory_budget_gb": budget_gb,
        "board_watts": 300,
        "cpu_watts": 100,
        "image_max_batch": 4,
        "image_batch_window_ms": 150,
        "models": {"text": ["tiny-llama"], "image": ["tiny-sdxl"], "speech": ["tiny-vits"]},
    }
    values.update(overrides)
    return Profile(**values)


def tiny_app(
    dirs: dict[str, Path],
    models_dir: Path,
    budget_gb: float = 1.0,
    profile_overrides: dict[str, Any] | None = None,
    **settings: Any,
) -> FastAPI:
    config = make_settings(models_dir, **settings)
    gateway = Gateway(
        config,
        registry=tiny_registry(dirs),
        profile=tiny_profile(budget_gb, **(profile_overrides or {})),
    )
    return create_app(config, gateway=gateway)


@pytest.fixture(scope="session")
def tiny_gateway_app(tiny_dirs: dict[str, Path], repo_models_dir: Path) -> FastAPI:
    return tiny_app(tiny_dirs, repo_models_dir)


@pytest.fixture(scope="session")
async def tiny_sdk(tiny_gateway_app: FastAPI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = sdk_client(tiny_gateway_app)
    yield client
    await client.close()


@pytest.fixture
def no_network_weights(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail loudly if anything tries to reach the Hugging Face Hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield
