from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from ai.schemas import SERVED_HEADER, USAGE_HEADER
from backend.agents.script import Scene, Script
from backend.settings import Settings

ChatHandler = Callable[[list[dict[str, str]]], str]


def fake_llm(answer: ChatHandler, requests: list[dict[str, object]]) -> openai.AsyncOpenAI:
    """A real ``openai.AsyncOpenAI`` over an ``httpx.MockTransport`` serving chat completions."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            requests.append({"path": request.url.path})
            return httpx.Response(200, json={"object": "list", "data": []})
        if request.url.path.endswith("/embeddings"):  # a chat-only server
            return httpx.Response(404, json={"error": {"message": "no embeddings model"}})
        body = json.loads(request.content)
        requests.append(body)
        text = answer(body["messages"])
        usage = {
            "prompt_tokens": 10,
            "completion_tokens": 20,
            "total_tokens": 30,
            "device_seconds": 0.5,
            "cost_usd": 0.001,
        }
        served = {"model": "fake-llm", "backend": "mock", "tier": "cpu", "device": "cpu"}
        # as the gateway answers: the usage record and who served it, in body and headers
        return httpx.Response(
            200,
            headers={USAGE_HEADER: json.dumps(usage), SERVED_HEADER: json.dumps(served)},
            json={
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "fake",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": usage,
                "ytempire": served,
            },
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return openai.AsyncOpenAI(
        base_url="http://fake/v1", api_key="k", http_client=http, max_retries=0
    )


@pytest.fixture(scope="session")
def gateway_client(tmp_path_factory: pytest.TempPathFactory) -> openai.AsyncOpenAI:
    """The real AI gateway, in-process, CPU models (SmolLM2-135M, MiniLM)."""
    from ai.client import make_openai_client

    data_dir: Path = tmp_path_factory.mktemp("ai-data")
    return make_openai_client(Settings(environment="test", data_dir=data_dir))


def good_script() -> Script:
    scenes = [
        "Sourdough starts with a living culture of wild yeast and bacteria that you feed daily.",
        "Flour and water are all it needs, yet the flavour depends on temperature and timing.",
        "A strong starter doubles within six hours and smells pleasantly sour, like yogurt.",
        "The most common mistake is baking too early, before the dough has risen enough.",
        "Use the poke test: a gentle dent that springs back slowly means the dough is ready.",
        "Bake in a preheated covered pot so the steam gives you a crisp, blistered crust.",
    ]
    return Script(
        title="Sourdough Bread at Home: Six Steps That Actually Work",
        hook="Great bread needs only flour, water, salt and a little patience, so let us start.",
        scenes=[
            Scene(narration=n, image_prompt="sourdough loaf on a wooden board") for n in scenes
        ],
        description="How to bake sourdough bread at home, step by step.",
        tags=["sourdough bread", "baking", "bread"],
    )
