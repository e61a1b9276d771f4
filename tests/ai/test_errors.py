"""Bad input gets a clear 4xx with an OpenAI-style error body, never a 500 or a hang."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/v1/images/generations", {"prompt": "x", "size": "5000x5000"}, 400, "unsupported size"),
        ("/v1/images/generations", {"prompt": "x", "size": "big"}, 400, "size must look like"),
        ("/v1/images/generations", {"prompt": "x", "size": "32x32"}, 400, "unsupported size"),
        ("/v1/images/generations", {"prompt": "x", "n": 11}, 400, "n:"),
        ("/v1/images/generations", {"prompt": "   "}, 400, "prompt is empty"),
        ("/v1/images/generations", {"prompt": "x", "model": "dalle-9"}, 404, "unknown model"),
        ("/v1/images/generations", {"prompt": "x", "model": "tts-1"}, 400, "speech model"),
        ("/v1/audio/speech", {"input": ""}, 400, "input"),
        ("/v1/audio/speech", {"input": "hi", "voice": "darth-vader"}, 400, "unknown voice"),
        ("/v1/audio/speech", {"input": "hi", "response_format": "flac"}, 400, "response_format"),
        ("/v1/audio/speech", {"input": "hi", "speed": 9}, 400, "speed"),
        ("/v1/chat/completions", {"messages": []}, 400, "messages"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": " "}]},
            400,
            "every message is empty",
        ),
        (
            "/v1/chat/completions",
            {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]},
            404,
            "unknown model",
        ),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "hi"}], "temperature": 5},
            400,
            "temperature",
        ),
        ("/v1/embeddings", {"input": ["ok", ""]}, 400, "empty string"),
        ("/v1/embeddings", {"input": []}, 400, "input"),
    ],
)
async def test_bad_requests_get_clear_4xx(
    cpu_http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, needle: str
) -> None:
    response = await cpu_http.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "details"}
    assert needle in error["message"]


async def test_malformed_json_is_a_400(cpu_http: httpx.AsyncClient) -> None:
    response = await cpu_http.post(
        "/v1/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_a_wrong_api_key_is_a_401(cpu_http: httpx.AsyncClient) -> None:
    response = await cpu_http.get("/v1/models", headers={"authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def test_unknown_routes_are_404_with_an_error_body(cpu_http: httpx.AsyncClient) -> None:
    response = await cpu_http.get("/v1/nothing-here")
    assert response.status_code == 404
    assert "message" in response.json()["error"]


async def test_the_openai_sdk_surfaces_the_message(cpu_sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="unknown voice 'darth-vader'"):
        await cpu_sdk.audio.speech.create(model="speech", voice="darth-vader", input="hi")
    with pytest.raises(openai.NotFoundError, match="unknown model"):
        await cpu_sdk.embeddings.create(model="no-such-model", input="hi")
