"""Chat completions: one attempt per model, plain or streamed."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from ai.backends.base import ChatMessage, CloudUsage, TextEvent, TextParams, TextResult
from ai.backends.text_transformers import TransformersText
from ai.gateway import Attempt, Gateway, Outcome
from ai.registry import ModelSpec
from ai.schemas import ChatRequest, Served, Skip, Usage
from ai.threads import iterate_in_thread


def to_messages(request: ChatRequest) -> list[ChatMessage]:
    role_map = {"developer": "system", "tool": "user"}
    return [ChatMessage(role_map.get(m.role, m.role), m.text()) for m in request.messages]


def to_params(request: ChatRequest) -> TextParams:
    max_tokens = request.max_completion_tokens or request.max_tokens or 512
    return TextParams(
        max_tokens=max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        stop=request.stops(),
        seed=request.seed,
    )


def _units(result: TextResult) -> dict[str, float]:
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens}


def _usage(result: TextResult) -> Usage:
    total = result.prompt_tokens + result.completion_tokens
    return Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        total_tokens=total,
    )


def _cloud_usage(result: TextResult) -> CloudUsage:
    return CloudUsage(input_tokens=result.prompt_tokens, output_tokens=result.completion_tokens)


async def chat(gateway: Gateway, request: ChatRequest) -> Outcome[TextResult]:
    messages, params = to_messages(request), to_params(request)

    async def attempt(spec: ModelSpec) -> Attempt[TextResult]:
        if spec.backend == "openai":
            result = await gateway.openai.chat(spec, messages, params)
            return Attempt(result, "cloud", cloud=_cloud_usage(result))
        return await gateway.run_local(
            spec, lambda model: _text_model(model).generate(messages, params)
        )

    chain = gateway.chain_for("text", request.model)
    return await gateway.serve("text", chain, attempt, _units, _usage)


@dataclass
class _Meter:
    device: str = "cloud"
    seconds: float = 0.0


@dataclass
class ChatStream:
    """A stream whose backend already produced its first event.

    ``events`` ends with a :class:`TextResult`; by then ``usage`` holds the priced call.
    """

    served: Served
    events: AsyncIterator[TextEvent]
    usage: Usage | None = None


async def chat_stream(gateway: Gateway, request: ChatRequest) -> ChatStream:
    """Falls through the chain until a backend yields its first event, then commits to it."""
    messages, params = to_messages(request), to_params(request)
    meters: dict[str, _Meter] = {}

    async def attempt(spec: ModelSpec) -> Attempt[AsyncGenerator[TextEvent, None]]:
        meter = meters.setdefault(spec.id, _Meter())
        events = _open(gateway, spec, messages, params, meter)
        try:
            first = await anext(events)
        except BaseException:
            await events.aclose()
            raise
        return Attempt(_prepend(first, events), meter.device)

    chain = gateway.chain_for("text", request.model)
    requested = time.perf_counter()  # the call's latency runs from here to the last token
    spec, started, skipped = await gateway.first_success("text", chain, attempt)
    served = Served(
        model=spec.id, backend=spec.backend, tier=spec.tier, device=started.device, skipped=skipped
    )
    stream = ChatStream(served, started.value)
    stream.events = _finalize(
        gateway, spec, stream, started.value, meters[spec.id], skipped, requested
    )
    return stream


async def _open(
    gateway: Gateway,
    spec: ModelSpec,
    messages: list[ChatMessage],
    params: TextParams,
    meter: _Meter,
) -> AsyncGenerator[TextEvent, None]:
    if spec.backend == "openai":
        async for event in gateway.openai.chat_stream(spec, messages, params):
            yield event
        return
    cancel = threading.Event()
    async with gateway.manager.use(spec) as model:
        text_model = _text_model(model)
        meter.device = text_model.device
        started = time.perf_counter()
        async for event in iterate_in_thread(
            lambda: text_model.stream(messages, params, cancel=cancel), cancel
        ):
            meter.seconds = time.perf_counter() - started
            yield event


async def _prepend(
    first: TextEvent, rest: AsyncIterator[TextEvent]
) -> AsyncGenerator[TextEvent, None]:
    yield first
    async for event in rest:
        yield event


async def _finalize(
    gateway: Gateway,
    spec: ModelSpec,
    stream: ChatStream,
    events: AsyncIterator[TextEvent],
    meter: _Meter,
    skipped: list[Skip],
    started: float,
) -> AsyncIterator[TextEvent]:
    """Pass events through; price the call when the final result arrives."""
    async for event in events:
        if isinstance(event, TextResult):
            cloud = _cloud_usage(event) if spec.is_cloud else None
            attempt = Attempt(event, meter.device, meter.seconds, cloud)
            outcome = gateway.account("text", spec, attempt, skipped, _units, _usage, started)
            stream.usage = outcome.usage
            stream.served.device = meter.device
        yield event


def _text_model(model: object) -> TransformersText:
    assert isinstance(model, TransformersText)
    return model
