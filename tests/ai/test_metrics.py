"""The gateway's /metrics after real calls: per-model latency, tokens per second, memory
held per model and in total against the budget, loads and LRU evictions (tiny models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.ai.conftest import raw_client, sdk_client, tiny_app

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(app: Any) -> Samples:
    async with raw_client(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def get(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_calls_loads_and_evictions_reach_the_gateway_metrics(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    # each tiny model reserves 0.25 GB: a 0.4 GB budget holds one at a time
    app = tiny_app(tiny_dirs, repo_models_dir, budget_gb=0.4)
    manager = app.state.services.gateway.manager
    client = sdk_client(app)
    before = await scrape(app)
    hello: list[Any] = [{"role": "user", "content": "hello"}]

    await client.chat.completions.create(model="text", messages=hello, max_tokens=6)
    stream = await client.chat.completions.create(
        model="text", messages=hello, max_tokens=4, stream=True
    )
    assert [chunk async for chunk in stream][-1].usage is not None
    await client.audio.speech.create(model="speech", voice="alloy", input="hi there")
    after = await scrape(app)

    def delta(name: str, **labels: str) -> float:
        return get(after, name, **labels) - get(before, name, **labels)

    text = {"modality": "text", "model": "tiny-llama"}
    assert delta("ytempire_ai_model_latency_seconds_count", **text) == 2  # plain and streamed
    assert delta("ytempire_ai_model_latency_seconds_sum", **text) > 0
    speech = {"modality": "speech", "model": "tiny-vits"}
    assert delta("ytempire_ai_model_latency_seconds_count", **speech) == 1
    assert delta("ytempire_ai_text_tokens_per_second_count", model="tiny-llama") == 2
    assert delta("ytempire_ai_text_tokens_per_second_sum", model="tiny-llama") > 0
    assert delta("ytempire_ai_text_tokens_per_second_count", model="tiny-vits") == 0
    for model in ("tiny-llama", "tiny-vits"):
        assert delta("ytempire_ai_model_loads_total", model=model, outcome="ok") == 1
    # the speech model needed the room the LLM held
    assert manager.evictions == ["tiny-llama"]
    assert delta("ytempire_ai_model_evictions_total", model="tiny-llama") == 1
    assert get(after, "ytempire_ai_model_memory_bytes", model="tiny-llama") == 0
    held = get(after, "ytempire_ai_model_memory_bytes", model="tiny-vits")
    assert held >= 0.25 * 1024**3
    assert get(after, "ytempire_ai_memory_held_bytes") == manager.used_bytes == held
    assert get(after, "ytempire_ai_memory_budget_bytes") == manager.budget_bytes

    # an unload at shutdown frees the memory but is no eviction
    await manager.unload_all()
    final = await scrape(app)
    assert get(final, "ytempire_ai_memory_held_bytes") == 0
    assert get(final, "ytempire_ai_model_evictions_total", model="tiny-vits") == get(
        before, "ytempire_ai_model_evictions_total", model="tiny-vits"
    )
    await client.close()


async def test_a_model_that_fails_to_load_is_counted(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(tiny_dirs, repo_models_dir, ai_fallback_text="broken-llama")
    before = await scrape(app)
    async with raw_client(app) as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "broken-llama", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert response.status_code >= 500, response.text  # no backend could serve it
    after = await scrape(app)
    failed = {"model": "broken-llama", "outcome": "failed"}
    assert (
        get(after, "ytempire_ai_model_loads_total", **failed)
        - get(before, "ytempire_ai_model_loads_total", **failed)
        == 1
    ), response.text
