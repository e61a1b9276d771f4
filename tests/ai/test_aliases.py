"""OpenAI model names are an explicit alias table answered by local models; every response
names the model that really served it; an unknown model is OpenAI's 404 ``model_not_found``."""

from __future__ import annotations

import base64
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from PIL import Image
from pydantic import ValidationError

from ai.app import create_app
from ai.registry import Registry, load_registry
from tests.ai.conftest import make_settings, sdk_client
from tests.ai.fake_cloud import running_fake_cloud

CHAT: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello."}]


def test_the_registry_names_the_openai_aliases_with_their_modality() -> None:
    registry = load_registry()
    expected = {
        "gpt-4o-mini": "text",
        "gpt-4o": "text",
        "tts-1": "speech",
        "tts-1-hd": "speech",
        "gpt-image-1": "image",
        "dall-e-3": "image",
        "text-embedding-3-small": "embeddings",
    }
    for name, modality in expected.items():
        alias = registry.alias(name)
        assert alias is not None, name
        assert alias.modality == modality
        assert "cloud" not in alias.serve  # answered locally, never billed
        assert registry.get(name) is None  # an alias is not also a model id


@pytest.mark.parametrize(
    ("aliases", "needle"),
    [
        ({"slides": {"modality": "image"}}, "also a model id"),
        ({"gpt-x": {"modality": "text", "serve": ["no-such-model"]}}, "unknown model or tier"),
        ({"gpt-x": {"modality": "text", "serve": ["espeak-ng"]}}, "espeak-ng is speech"),
        ({"gpt-x": {"modality": "text", "serve": []}}, "at least 1"),
    ],
)
def test_a_bad_alias_table_is_refused_with_the_reason(aliases: dict[str, Any], needle: str) -> None:
    base = load_registry()
    with pytest.raises(ValidationError, match=needle):
        Registry.model_validate(
            {
                "models": [m.model_dump() for m in base.models],
                "defaults": base.defaults,
                "aliases": aliases,
            }
        )


@pytest.mark.parametrize("alias", ["gpt-4o-mini", "gpt-4o"])
async def test_a_chat_alias_is_answered_by_the_local_model(
    cpu_sdk: openai.AsyncOpenAI, alias: str
) -> None:
    raw = await cpu_sdk.chat.completions.with_raw_response.create(
        model=alias, messages=CHAT, max_tokens=4, temperature=0
    )
    completion = raw.parse()
    assert completion.model == "smollm2-135m-instruct"
    assert raw.headers["x-model"] == "smollm2-135m-instruct"
    served = (completion.model_extra or {})["ytempire"]
    assert served["model"] == "smollm2-135m-instruct" and served["skipped"] == []


async def test_a_streamed_alias_names_the_serving_model(cpu_sdk: openai.AsyncOpenAI) -> None:
    stream = await cpu_sdk.chat.completions.create(
        model="gpt-4o-mini", messages=CHAT, max_tokens=3, stream=True
    )
    models = {chunk.model async for chunk in stream}
    assert models == {"smollm2-135m-instruct"}


@pytest.mark.parametrize("alias", ["tts-1", "tts-1-hd"])
async def test_speech_aliases_default_to_mp3_and_name_the_model(
    cpu_sdk: openai.AsyncOpenAI, alias: str
) -> None:
    raw = await cpu_sdk.audio.speech.with_raw_response.create(
        model=alias, voice="alloy", input="Hello from the alias."
    )
    assert raw.headers["content-type"] == "audio/mpeg"
    assert raw.content[:3] == b"ID3" or raw.content[0] == 0xFF
    assert raw.headers["x-model"] == "espeak-ng"
    assert '"model":"espeak-ng"' in raw.headers["x-ytempire-served"]
    assert float(raw.headers["x-ytempire-usage"].split('"audio_seconds":')[1].split(",")[0]) > 0


async def test_speech_still_gives_wav_when_asked(cpu_sdk: openai.AsyncOpenAI) -> None:
    raw = await cpu_sdk.audio.speech.with_raw_response.create(
        model="tts-1", voice="alloy", input="Wave.", response_format="wav"
    )
    assert raw.headers["content-type"] == "audio/wav" and raw.content[:4] == b"RIFF"


@pytest.mark.parametrize("alias", ["gpt-image-1", "dall-e-3"])
async def test_image_aliases_are_drawn_locally(cpu_sdk: openai.AsyncOpenAI, alias: str) -> None:
    raw = await cpu_sdk.images.with_raw_response.generate(
        model=alias, prompt="A lighthouse at dusk", size="320x180", response_format="b64_json"
    )
    response = raw.parse()
    assert (response.model_extra or {})["model"] == "slides"
    assert raw.headers["x-model"] == "slides"
    assert response.data is not None and response.data[0].b64_json is not None
    image = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json)))
    assert image.size == (320, 180)


async def test_embedding_alias_is_answered_by_minilm(cpu_sdk: openai.AsyncOpenAI) -> None:
    raw = await cpu_sdk.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["one", "two"]
    )
    response = raw.parse()
    assert response.model == "all-minilm-l6-v2"
    assert raw.headers["x-model"] == "all-minilm-l6-v2"
    assert len(response.data) == 2 and len(response.data[0].embedding) == 384


async def test_an_unknown_model_is_openais_404_model_not_found(
    cpu_sdk: openai.AsyncOpenAI,
) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: cpu_sdk.chat.completions.create(model="gpt-9-turbo", messages=CHAT),
        lambda: cpu_sdk.audio.speech.create(model="tts-9", voice="alloy", input="hi"),
        lambda: cpu_sdk.images.generate(model="dall-e-9", prompt="x"),
        lambda: cpu_sdk.embeddings.create(model="text-embedding-9", input="hi"),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as caught:
            await call()
        error = caught.value
        assert error.status_code == 404 and error.code == "model_not_found"
        assert error.type == "invalid_request_error" and error.param == "model"
        assert isinstance(error.body, dict)
        assert set(error.body) >= {"message", "type", "param", "code"}
        assert "unknown model" in error.body["message"]


async def test_an_alias_of_another_modality_is_a_clear_400(cpu_sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="alias for speech models"):
        await cpu_sdk.images.generate(model="tts-1", prompt="x")


async def test_models_lists_the_aliases_and_who_serves_them(cpu_sdk: openai.AsyncOpenAI) -> None:
    page = await cpu_sdk.models.list()
    ids = {m.id for m in page.data}
    assert "openai-gpt-4o-mini" in ids and "gpt-4o-mini" not in ids  # aliases are apart
    raw = await cpu_sdk.models.with_raw_response.list()
    aliases = {a["id"]: a for a in raw.http_response.json()["aliases"]}
    assert aliases["gpt-4o-mini"]["served_by"] == "smollm2-135m-instruct"
    assert aliases["tts-1"]["served_by"] == "espeak-ng"
    assert aliases["dall-e-3"]["models"] == ["slides"]


async def test_an_alias_stays_local_even_with_an_openai_key(tmp_path: Path) -> None:
    repo_models = Path(__file__).resolve().parents[2] / "models"
    with running_fake_cloud() as cloud:
        app = create_app(
            make_settings(repo_models, openai_api_key="sk-test", openai_base_url=cloud.openai_url)
        )
        client = sdk_client(app)
        try:
            alias = await client.embeddings.create(model="text-embedding-3-small", input="x")
            assert alias.model == "all-minilm-l6-v2"
            assert not [c for c in cloud.calls if c["path"].startswith("/v1/embeddings")]
            cloud_model = await client.embeddings.create(
                model="openai-text-embedding-3-small", input="x"
            )
            assert cloud_model.model == "openai-text-embedding-3-small"
            assert [c for c in cloud.calls if c["path"].startswith("/v1/embeddings")]
        finally:
            await client.close()
