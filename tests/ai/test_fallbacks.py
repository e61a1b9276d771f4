"""Fallback chains: skip what cannot run, fall through on failure and timeout, say why."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ai.errors import AllBackendsFailed
from ai.gateway import Attempt, Gateway
from ai.registry import ModelSpec
from tests.ai.conftest import make_settings, raw_client, tiny_app, tiny_profile, tiny_registry


async def test_missing_weights_and_a_broken_checkpoint_fall_through(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(
        tiny_dirs, repo_models_dir, ai_fallback_text="absent-llama,broken-llama,cloud,tiny-llama"
    )
    async with raw_client(app) as client:
        response = await client.post(
            "/v1/chat/completions",
            json={
                "model": "text",
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 3,
            },
        )
    assert response.status_code == 200
    served = response.json()["ytempire"]
    assert served["model"] == "tiny-llama"
    reasons = {s["model"]: s["reason"] for s in served["skipped"]}
    assert list(reasons) == ["absent-llama", "broken-llama", "openai-gpt-4o-mini"]
    assert "weights not found" in reasons["absent-llama"]
    assert "failed to load" in reasons["broken-llama"]
    assert "API key" in reasons["openai-gpt-4o-mini"]
    assert response.headers["x-ytempire-backend"] == "tiny-llama"


async def test_a_requested_model_goes_first_then_the_chain(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(tiny_dirs, repo_models_dir)
    async with raw_client(app) as client:
        response = await client.post(
            "/v1/audio/speech",
            json={"model": "espeak-ng", "input": "explicit model", "voice": "alloy"},
        )
    assert response.status_code == 200
    assert response.headers["x-ytempire-backend"] == "espeak-ng"


async def test_when_every_backend_fails_the_answer_is_503_with_reasons(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(tiny_dirs, repo_models_dir, ai_fallback_text="absent-llama,cloud")
    async with raw_client(app) as client:
        response = await client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
        )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "no_backend_available"
    skipped = [s["model"] for s in error["details"]["skipped"]]
    assert skipped == ["absent-llama", "openai-gpt-4o-mini"]
    assert "absent-llama" in error["message"]


def _gateway(tiny_dirs: dict[str, Path], tmp_path: Path, **settings: object) -> Gateway:
    return Gateway(
        make_settings(tmp_path, **settings),
        registry=tiny_registry(tiny_dirs),
        profile=tiny_profile(),
    )


async def test_a_backend_that_times_out_falls_through(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    gateway = _gateway(tiny_dirs, tmp_path, ai_request_timeout_seconds=0.05)
    chain = [gateway.registry.by_id["tiny-llama"], gateway.registry.by_id["slides"]]

    async def attempt(spec: ModelSpec) -> Attempt[str]:
        if spec.id == "tiny-llama":
            await asyncio.sleep(5)
        return Attempt(spec.id, "cpu", 0.01)

    spec, result, skipped = await gateway.first_success("text", chain, attempt)
    assert spec.id == "slides" and result.value == "slides"
    assert skipped[0].model == "tiny-llama" and "timed out" in skipped[0].reason


async def test_out_of_memory_at_run_time_falls_through(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    gateway = _gateway(tiny_dirs, tmp_path)
    chain = [gateway.registry.by_id["tiny-sdxl"], gateway.registry.by_id["slides"]]

    async def attempt(spec: ModelSpec) -> Attempt[str]:
        if spec.id == "tiny-sdxl":
            raise RuntimeError("CUDA out of memory. Tried to allocate 4.00 GiB")
        return Attempt(spec.id, "cpu")

    spec, _, skipped = await gateway.first_success("image", chain, attempt)
    assert spec.id == "slides"
    assert skipped[0].reason.startswith("out of memory")


async def test_models_over_the_profile_budget_are_skipped(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    gateway = Gateway(
        make_settings(tmp_path),
        registry=tiny_registry(tiny_dirs),
        profile=tiny_profile(budget_gb=0.1),
    )
    reason = gateway.unavailable(gateway.registry.by_id["tiny-llama"])
    assert reason is not None and "allows 0.1 GB" in reason
    with pytest.raises(AllBackendsFailed):
        await gateway.first_success(
            "text", [gateway.registry.by_id["tiny-llama"]], lambda spec: asyncio.sleep(0)
        )  # type: ignore[arg-type,return-value]


def test_chains_expand_tiers_and_reject_unknown_models(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    gateway = _gateway(tiny_dirs, tmp_path, ai_fallback_image="cpu,local-gpu,openai-gpt-image-1")
    assert [s.id for s in gateway.chains["image"]] == ["slides", "tiny-sdxl", "openai-gpt-image-1"]
    assert [s.id for s in gateway.chains["speech"]] == [
        "tiny-vits",
        "eleven-multilingual-v2",
        "openai-tts-1",
        "espeak-ng",
    ]
    with pytest.raises(ValueError, match="not a text model"):
        _gateway(tiny_dirs, tmp_path, ai_fallback_text="cloud,slides")
