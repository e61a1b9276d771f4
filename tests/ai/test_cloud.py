"""OpenAI and ElevenLabs through their real SDKs against a local fake HTTP server."""

from __future__ import annotations

import base64
import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from PIL import Image

from ai.app import create_app
from tests.ai.conftest import make_settings, raw_client, sdk_client
from tests.ai.fake_cloud import COMPLETION_TOKENS, PROMPT_TOKENS, FakeCloud, running_fake_cloud


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloud]:
    with running_fake_cloud() as server:
        yield server


def cloud_app(cloud: FakeCloud, models_dir: Path, **overrides: object) -> FastAPI:
    values: dict[str, object] = {
        "openai_api_key": "sk-test",
        "openai_base_url": cloud.openai_url,
        "elevenlabs_api_key": "eleven-test-key",
        "elevenlabs_base_url": cloud.base_url,
    }
    return create_app(make_settings(models_dir, **{**values, **overrides}))


def _last(cloud: FakeCloud, path: str) -> dict[str, object]:
    return next(c for c in reversed(cloud.calls) if c["path"].startswith(path))


async def test_openai_chat_is_served_and_priced_per_token(cloud: FakeCloud, tmp_path: Path) -> None:
    async with raw_client(cloud_app(cloud, tmp_path)) as client:
        response = await client.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "ping"}], "max_tokens": 9},
        )
    body = response.json()
    assert response.status_code == 200
    assert body["choices"][0]["message"]["content"] == "echo: ping"
    assert body["ytempire"]["model"] == "openai-gpt-4o-mini"
    assert body["ytempire"]["device"] == "cloud"
    expected = PROMPT_TOKENS * 0.15 / 1e6 + COMPLETION_TOKENS * 0.60 / 1e6
    assert body["usage"]["cost_usd"] == pytest.approx(expected)
    assert body["usage"]["device_seconds"] == 0
    sent = _last(cloud, "/v1/chat/completions")
    assert sent["json"]["model"] == "gpt-4o-mini"  # type: ignore[index]
    assert sent["headers"]["authorization"] == "Bearer sk-test"  # type: ignore[index]


async def test_openai_chat_streams_through(cloud: FakeCloud, tmp_path: Path) -> None:
    async with raw_client(cloud_app(cloud, tmp_path)) as client:
        response = await client.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "stream me"}], "stream": True},
        )
    lines = [ln for ln in response.text.splitlines() if ln.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert "echo: " in response.text and "stream me" in response.text
    assert '"prompt_tokens": 12' in lines[-2] and '"cost_usd"' in lines[-2]


async def test_openai_images_are_fitted_to_the_size_and_priced_per_image(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    async with raw_client(cloud_app(cloud, tmp_path)) as client:
        response = await client.post(
            "/v1/images/generations", json={"prompt": "a lighthouse", "size": "1920x1080", "n": 2}
        )
    body = response.json()
    assert body["ytempire"]["model"] == "openai-gpt-image-1"
    assert body["usage"]["cost_usd"] == pytest.approx(2 * 0.042)
    image = Image.open(io.BytesIO(base64.b64decode(body["data"][0]["b64_json"])))
    assert image.size == (1920, 1080)
    sent = _last(cloud, "/v1/images/generations")["json"]
    assert sent["size"] == "1536x1024" and sent["n"] == 2  # type: ignore[index]


async def test_openai_embeddings(cloud: FakeCloud, tmp_path: Path) -> None:
    async with raw_client(cloud_app(cloud, tmp_path)) as client:
        response = await client.post("/v1/embeddings", json={"input": ["ab", "abcd"]})
    body = response.json()
    assert body["model"] == "openai-text-embedding-3-small"
    assert [d["embedding"][0] for d in body["data"]] == [2.0, 4.0]
    assert body["usage"]["cost_usd"] == pytest.approx(7 * 0.02 / 1e6)


async def test_elevenlabs_speaks_with_the_mapped_voice(cloud: FakeCloud, tmp_path: Path) -> None:
    text = "Hello from the cloud."
    async with raw_client(cloud_app(cloud, tmp_path)) as client:
        response = await client.post(
            "/v1/audio/speech", json={"input": text, "voice": "nova", "response_format": "wav"}
        )
    assert response.status_code == 200
    assert response.headers["x-ytempire-backend"] == "eleven-multilingual-v2"
    with wave.open(io.BytesIO(response.content)) as audio:
        assert audio.getframerate() == 22050
        assert audio.getnframes() == 22050 // 2
    sent = _last(cloud, "/v1/text-to-speech/")
    assert sent["path"] == "/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL"
    assert sent["query"]["output_format"] == "pcm_22050"  # type: ignore[index]
    assert sent["json"]["model_id"] == "eleven_multilingual_v2"  # type: ignore[index]
    usage = json.loads(response.headers["x-ytempire-usage"])
    assert usage["cost_usd"] == pytest.approx(len(text) * 180.0 / 1e6)
    assert usage["audio_seconds"] == pytest.approx(0.5)


async def test_openai_tts_when_elevenlabs_has_no_key(cloud: FakeCloud, tmp_path: Path) -> None:
    app = cloud_app(cloud, tmp_path, elevenlabs_api_key=None)
    async with raw_client(app) as client:
        response = await client.post(
            "/v1/audio/speech",
            json={"input": "mp3 please", "voice": "onyx", "response_format": "mp3"},
        )
    assert response.headers["x-ytempire-backend"] == "openai-tts-1"
    assert response.headers["content-type"] == "audio/mpeg"
    served = json.loads(response.headers["x-ytempire-served"])
    assert served["skipped"][0]["model"] == "eleven-multilingual-v2"
    assert "ElevenLabs API key" in served["skipped"][0]["reason"]
    assert _last(cloud, "/v1/audio/speech")["json"]["voice"] == "onyx"  # type: ignore[index]


async def test_a_failing_provider_falls_through_to_the_cpu_default(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    cloud.fail.add("/v1/images")
    try:
        async with raw_client(cloud_app(cloud, tmp_path)) as client:
            response = await client.post(
                "/v1/images/generations", json={"prompt": "fallback", "size": "320x180"}
            )
    finally:
        cloud.fail.clear()
    body = response.json()
    assert response.status_code == 200
    assert body["ytempire"]["model"] == "slides"
    skipped = body["ytempire"]["skipped"]
    assert skipped[0]["model"] == "openai-gpt-image-1" and "500" in skipped[0]["reason"]


async def test_the_official_sdk_reaches_the_cloud_through_the_gateway(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    client = sdk_client(cloud_app(cloud, tmp_path))
    completion = await client.chat.completions.create(
        model="openai-gpt-4o-mini", messages=[{"role": "user", "content": "via sdk"}]
    )
    assert completion.choices[0].message.content == "echo: via sdk"
    await client.close()
