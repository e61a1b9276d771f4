"""The transformers, diffusers and VITS code paths with tiny random models on CPU."""

from __future__ import annotations

import asyncio
import base64
import io
import wave
from pathlib import Path
from typing import Any

import openai
from fastapi import FastAPI
from PIL import Image

from ai.app import Services
from tests.ai.conftest import raw_client, sdk_client, tiny_app


async def test_tiny_llama_serves_chat_through_transformers(tiny_sdk: openai.AsyncOpenAI) -> None:
    completion = await tiny_sdk.chat.completions.create(
        model="text",
        messages=[{"role": "user", "content": "hello world"}],
        max_tokens=8,
        temperature=0,
    )
    assert completion.model == "tiny-llama"
    served = (completion.model_extra or {})["ytempire"]
    assert served["backend"] == "transformers" and served["tier"] == "local-gpu"
    assert served["device"] == "cpu"
    assert completion.usage is not None and completion.usage.completion_tokens == 8
    assert completion.choices[0].finish_reason == "length"
    extra = completion.usage.model_extra or {}
    # local cost = device-seconds x cpu watts (100) x $0.20/kWh
    expected = extra["device_seconds"] * 100 / 3_600_000 * 0.20
    assert abs(extra["cost_usd"] - expected) < 1e-7


async def test_tiny_llama_streams(tiny_sdk: openai.AsyncOpenAI) -> None:
    stream = await tiny_sdk.chat.completions.create(
        model="tiny-llama",
        messages=[{"role": "user", "content": "the quick brown fox"}],
        max_tokens=6,
        temperature=0.8,
        seed=3,
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_tiny_sdxl_images_have_the_requested_size_and_follow_the_seed(
    tiny_sdk: openai.AsyncOpenAI,
) -> None:
    async def generate(seed: int) -> list[bytes]:
        response = await tiny_sdk.images.generate(
            prompt="a red fox in the snow",
            size="96x64",
            n=2,
            response_format="b64_json",
            extra_body={"seed": seed},
        )
        assert (response.model_extra or {})["ytempire"]["model"] == "tiny-sdxl"
        assert response.data is not None
        return [base64.b64decode(d.b64_json or "") for d in response.data]

    first, again = await generate(5), await generate(5)
    for png in first:
        assert Image.open(io.BytesIO(png)).size == (96, 64)
    assert first == again
    assert first[0] != first[1]  # seeds 5 and 6


async def test_tiny_vits_speaks_wav_and_mp3(tiny_sdk: openai.AsyncOpenAI) -> None:
    wav = await tiny_sdk.audio.speech.with_raw_response.create(
        model="speech", voice="alloy", input="hello there. this is a test.", response_format="wav"
    )
    assert wav.headers["x-ytempire-backend"] == "tiny-vits"
    with wave.open(io.BytesIO(wav.content)) as audio:
        assert audio.getframerate() == 16000 and audio.getnframes() > 0
    mp3 = await tiny_sdk.audio.speech.create(
        model="tiny-vits", voice="alloy", input="hello again.", response_format="mp3"
    )
    assert mp3.content[:3] == b"ID3" or mp3.content[:2] == b"\xff\xfb"


async def test_concurrent_image_requests_share_a_batch(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(
        tiny_dirs,
        repo_models_dir,
        profile_overrides={"image_batch_window_ms": 300, "image_max_batch": 4},
    )
    services: Services = app.state.services
    async with raw_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/images/generations",
                    json={"prompt": f"scene {i}", "size": "64x64", "seed": i},
                )
                for i in range(4)
            )
        )
        other_size = await client.post(
            "/v1/images/generations", json={"prompt": "alone", "size": "128x64", "seed": 1}
        )
    assert all(r.status_code == 200 for r in responses)
    assert other_size.status_code == 200
    assert services.images.batch_sizes == [4, 1]
    # the batch's device time is shared: each request reports a quarter of it
    shares = [r.json()["usage"]["device_seconds"] for r in responses]
    assert max(shares) - min(shares) < 0.01


async def test_loading_past_the_budget_evicts_the_least_recently_used(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    # each tiny model reserves 0.25 GB; a 0.6 GB budget holds two of them
    app = tiny_app(tiny_dirs, repo_models_dir, budget_gb=0.6)
    manager = app.state.services.gateway.manager
    client = sdk_client(app)
    hello: list[Any] = [{"role": "user", "content": "hi"}]
    await client.chat.completions.create(model="text", messages=hello, max_tokens=2)
    await client.audio.speech.create(model="speech", voice="alloy", input="hi")
    # the LLM is now the most recently used
    await client.chat.completions.create(model="text", messages=hello, max_tokens=2)
    await client.images.generate(prompt="x", size="64x64")
    assert manager.evictions == ["tiny-vits"]
    assert sorted(manager.loaded()) == ["tiny-llama", "tiny-sdxl"]
    listed = {m.id: m.model_extra or {} for m in (await client.models.list()).data}
    assert listed["tiny-vits"]["loaded"] is False
    assert listed["tiny-sdxl"]["loaded"] is True and listed["tiny-sdxl"]["memory_bytes"] > 0
    await client.close()


async def test_a_stream_without_include_usage_still_names_the_backend(
    tiny_gateway_app: FastAPI,
) -> None:
    async with raw_client(tiny_gateway_app) as client:
        response = await client.post(
            "/v1/chat/completions",
            json={
                "messages": [{"role": "user", "content": "hello"}],
                "max_tokens": 3,
                "stream": True,
                "stream_options": {"include_usage": False},
            },
        )
    events = [line for line in response.text.splitlines() if line.startswith("data: {")]
    assert response.headers["x-ytempire-backend"] == "tiny-llama"
    assert '"usage"' not in events[-1] and '"ytempire"' in events[-1]
    assert response.text.rstrip().endswith("data: [DONE]")
