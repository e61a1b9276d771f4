"""The CPU defaults for real, through the official openai SDK against the app."""

from __future__ import annotations

import base64
import io
import wave

import httpx
import numpy as np
import openai
from PIL import Image


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / wav.getframerate()


async def test_smollm2_answers_a_chat_request(cpu_sdk: openai.AsyncOpenAI) -> None:
    completion = await cpu_sdk.chat.completions.create(
        model="text",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        temperature=0,
        max_tokens=24,
    )
    text = completion.choices[0].message.content or ""
    assert "Paris" in text
    assert completion.model == "smollm2-135m-instruct"
    usage = completion.usage
    assert usage is not None and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    extra = usage.model_extra or {}
    assert extra["device_seconds"] > 0 and extra["cost_usd"] > 0
    served = (completion.model_extra or {})["ytempire"]
    assert served["backend"] == "gguf" and served["device"] == "cpu"
    assert [s["model"] for s in served["skipped"]] == ["openai-gpt-4o-mini"]
    assert "OpenAI API key" in served["skipped"][0]["reason"]


async def test_smollm2_streams_chunks_and_ends_with_usage(cpu_sdk: openai.AsyncOpenAI) -> None:
    stream = await cpu_sdk.chat.completions.create(
        model="smollm2-135m-instruct",
        messages=[{"role": "user", "content": "Name three colors."}],
        temperature=0,
        max_tokens=20,
        stream=True,
    )
    pieces, usage, finish = [], None, None
    async for chunk in stream:
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces).strip()
    assert finish in ("stop", "length")
    assert usage is not None and usage.completion_tokens > 0
    assert (usage.model_extra or {})["device_seconds"] > 0


async def test_espeak_wav_duration_grows_with_text(cpu_sdk: openai.AsyncOpenAI) -> None:
    short = await cpu_sdk.audio.speech.with_raw_response.create(
        model="speech", voice="alloy", input="Hello there.", response_format="wav"
    )
    long = await cpu_sdk.audio.speech.with_raw_response.create(
        model="speech",
        voice="alloy",
        response_format="wav",
        input="Hello there. This sentence is a good deal longer, so it takes longer to say.",
    )
    short_s, long_s = _wav_seconds(short.content), _wav_seconds(long.content)
    assert 0.3 < short_s < long_s
    assert long_s > 2 * short_s
    assert long.headers["x-ytempire-backend"] == "espeak-ng"
    assert long.headers["content-type"] == "audio/wav"


async def test_espeak_speed_and_mp3(cpu_sdk: openai.AsyncOpenAI) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    normal = await cpu_sdk.audio.speech.create(
        model="speech", voice="nova", input=text, response_format="wav"
    )
    fast = await cpu_sdk.audio.speech.create(
        model="speech", voice="nova", input=text, response_format="wav", speed=2.0
    )
    assert _wav_seconds(fast.content) < 0.7 * _wav_seconds(normal.content)
    mp3 = await cpu_sdk.audio.speech.with_raw_response.create(
        model="espeak-ng", voice="en-gb-x-rp", input=text, response_format="mp3"
    )
    assert mp3.content[:3] == b"ID3" or mp3.content[:2] == b"\xff\xfb"
    assert mp3.headers["content-type"] == "audio/mpeg"


async def test_slides_are_pngs_of_the_requested_size(cpu_sdk: openai.AsyncOpenAI) -> None:
    for size, expected in [
        ("1920x1080", (1920, 1080)),
        ("1080x1920", (1080, 1920)),
        ("333x200", (333, 200)),
    ]:
        response = await cpu_sdk.images.generate(
            prompt="The history of the Roman Empire, legions and roads",
            size=size,
            n=2,
            response_format="b64_json",
            extra_body={"seed": 7},
        )
        assert response.data is not None and len(response.data) == 2
        for item in response.data:
            assert item.b64_json is not None
            image = Image.open(io.BytesIO(base64.b64decode(item.b64_json)))
            assert image.format == "PNG" and image.size == expected


async def test_slides_are_deterministic_per_seed(cpu_http: httpx.AsyncClient) -> None:
    async def render(seed: int) -> str:
        response = await cpu_http.post(
            "/v1/images/generations",
            json={"prompt": "Deep ocean creatures glowing", "size": "320x180", "seed": seed},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["ytempire"]["model"] == "slides"
        assert body["usage"]["images"] == 1 and body["usage"]["device_seconds"] > 0
        return str(body["data"][0]["b64_json"])

    first, again, other = await render(11), await render(11), await render(12)
    assert first == again
    assert first != other
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(first))).convert("L"))
    assert pixels.std() > 10  # a designed slide, not a flat fill


async def test_embeddings_have_384_dims_and_rank_similar_sentences_closer(
    cpu_sdk: openai.AsyncOpenAI,
) -> None:
    response = await cpu_sdk.embeddings.create(
        model="embeddings",
        input=[
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "Quarterly earnings beat analyst expectations.",
        ],
    )
    vectors = np.array([d.embedding for d in response.data])
    assert vectors.shape == (3, 384)
    assert response.model == "all-minilm-l6-v2"
    similar = vectors[0] @ vectors[1]
    unrelated = vectors[0] @ vectors[2]
    assert similar > unrelated + 0.3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert response.usage.prompt_tokens > 0


async def test_models_lists_modality_backend_and_load_state(cpu_sdk: openai.AsyncOpenAI) -> None:
    await cpu_sdk.audio.speech.create(model="speech", voice="alloy", input="Load me.")
    models = {m.id: m.model_extra or {} for m in (await cpu_sdk.models.list()).data}
    assert models["espeak-ng"]["loaded"] is True
    assert models["espeak-ng"]["modality"] == "speech"
    assert models["llama-3.1-8b-instruct"]["loaded"] is False
    assert "CUDA" in models["llama-3.1-8b-instruct"]["unavailable"]
    assert models["openai-gpt-4o-mini"]["backend"] == "openai"


async def test_health_and_metrics(cpu_http: httpx.AsyncClient) -> None:
    await cpu_http.post("/v1/audio/speech", json={"input": "count me", "voice": "alloy"})
    health = (await cpu_http.get("/health")).json()
    assert health["status"] == "ok" and health["profile"] == "cpu-only"
    assert health["chains"]["speech"] == ["eleven-multilingual-v2", "openai-tts-1", "espeak-ng"]
    metrics = (await cpu_http.get("/metrics")).text
    assert (
        'ytempire_ai_requests_total{backend="espeak",modality="speech",model="espeak-ng",'
        'outcome="ok"}' in metrics
    )
    assert 'ytempire_ai_cost_usd_total{model="espeak-ng"}' in metrics
    assert 'ytempire_ai_device_seconds_total{model="espeak-ng"}' in metrics
    fallback = (
        'ytempire_ai_fallbacks_total{modality="speech",model="openai-tts-1",reason="api_key"}'
    )
    assert fallback in metrics


async def test_espeak_pitch_changes_the_audio(cpu_sdk: openai.AsyncOpenAI) -> None:
    from ai.calls import synthesize_speech

    low = await synthesize_speech(cpu_sdk, "Pitch check.", "alloy", pitch=10)
    high = await synthesize_speech(cpu_sdk, "Pitch check.", "alloy", pitch=90)
    assert low.audio_bytes != high.audio_bytes
    assert low.served.model == "espeak-ng" and low.duration_s > 0
