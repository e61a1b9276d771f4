"""The backend's client: embedded (in-process, no network) and over HTTP, async and sync."""

from __future__ import annotations

import asyncio
import io
import threading
import wave
from pathlib import Path

import pytest
from PIL import Image

from ai.app import create_app
from ai.client import (
    chat,
    embed,
    embed_sync,
    embedded_gateway,
    generate_image,
    generate_image_sync,
    make_openai_client,
    make_sync_openai_client,
    synthesize_speech,
    synthesize_speech_sync,
)
from ai.settings import AISettings
from tests.ai.conftest import make_settings
from tests.ai.fake_cloud import running_server


@pytest.fixture(scope="module")
def embedded_settings(repo_models_dir: Path) -> AISettings:
    return make_settings(repo_models_dir)


def test_sync_client_reaches_the_embedded_gateway(embedded_settings: AISettings) -> None:
    client = make_sync_openai_client(embedded_settings)
    speech = synthesize_speech_sync(client, "Embedded and synchronous.", "alloy")
    assert speech.format == "wav" and speech.served.model == "espeak-ng"
    assert speech.duration_s > 0.5 and speech.usage.device_seconds > 0
    with wave.open(io.BytesIO(speech.audio_bytes)) as audio:
        assert audio.getnframes() > 0
    assert [s.model for s in speech.served.skipped] == ["eleven-multilingual-v2", "openai-tts-1"]
    images = generate_image_sync(client, "Five habits of calm people", "640x360", n=2, seed=4)
    assert images.seeds == [4, 5] and images.served.model == "slides"
    assert Image.open(io.BytesIO(images.images[1])).size == (640, 360)
    vectors = embed_sync(client, ["one", "two"])
    assert len(vectors.vectors) == 2 and len(vectors.vectors[0]) == 384


def test_the_embedded_app_is_created_once_and_keeps_models_loaded(
    embedded_settings: AISettings,
) -> None:
    gateway = embedded_gateway(embedded_settings)
    make_sync_openai_client(embedded_settings).audio.speech.create(
        model="speech", voice="alloy", input="warm up"
    )
    assert embedded_gateway(embedded_settings) is gateway
    assert "espeak-ng" in gateway.app.state.services.gateway.manager.loaded()


def test_rq_style_jobs_on_fresh_loops_and_threads_share_the_gateway(
    embedded_settings: AISettings,
) -> None:
    """An RQ job is a sync function that may call asyncio.run: each run is a new loop."""
    results: list[str] = []
    errors: list[BaseException] = []

    async def job() -> str:
        client = make_openai_client(embedded_settings)
        speech = await synthesize_speech(
            client, "From a fresh event loop.", "echo", response_format="mp3"
        )
        image = await generate_image(client, "A job on its own loop", "256x144", seed=1)
        await client.close()
        return f"{speech.served.model}/{image.served.model}/{speech.audio_bytes[:3]!r}"

    def worker() -> None:
        try:
            for _ in range(2):
                results.append(asyncio.run(job()))
            sync = make_sync_openai_client(embedded_settings)
            results.append(synthesize_speech_sync(sync, "sync in a thread", "alloy").served.model)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(results) == ["espeak-ng"] * 2 + ["espeak-ng/slides/b'ID3'"] * 4


async def test_async_helpers_from_a_running_loop(embedded_settings: AISettings) -> None:
    client = make_openai_client(embedded_settings)
    reply = await chat(
        client, [{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0
    )
    assert reply.text.strip() and reply.served.model == "smollm2-135m-instruct"
    assert reply.usage.completion_tokens > 0
    vectors = await embed(client, ["a sentence"])
    assert vectors.model == "all-minilm-l6-v2"
    await client.close()


def test_with_a_base_url_the_client_goes_over_http(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    with running_server(app) as url:
        settings = make_settings(tmp_path, ai_base_url=url)
        client = make_sync_openai_client(settings)
        assert str(client.base_url).rstrip("/") == f"{url}/v1"
        speech = synthesize_speech_sync(client, "Over the loopback network.", "fable")
        assert speech.served.model == "espeak-ng" and len(speech.audio_bytes) > 1000

        async def over_http() -> int:
            async_client = make_openai_client(settings)
            models = await async_client.models.list()
            await async_client.close()
            return len(models.data)

        assert asyncio.run(over_http()) >= 15
