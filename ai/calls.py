"""Typed helpers over the ``openai`` SDK for the pipeline: results with usage attached.

Each helper has an async form (``openai.AsyncOpenAI``) and a ``*_sync`` form
(``openai.OpenAI``); both read the gateway's usage headers so callers never parse them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

USAGE_HEADER = "x-ytempire-usage"
SERVED_HEADER = "x-ytempire-served"


@dataclass(frozen=True)
class CallUsage:
    device_seconds: float
    cost_usd: float
    model: str
    backend: str
    tier: str
    device: str
    units: dict[str, float] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> CallUsage:
        usage: dict[str, Any] = json.loads(headers.get(USAGE_HEADER) or "{}")
        served: dict[str, Any] = json.loads(headers.get(SERVED_HEADER) or "{}")
        units = {k: float(v) for k, v in usage.items()
                 if k not in ("device_seconds", "cost_usd") and v}
        return cls(
            device_seconds=float(usage.get("device_seconds", 0.0)),
            cost_usd=float(usage.get("cost_usd", 0.0)),
            model=str(served.get("model", "")),
            backend=str(served.get("backend", "")),
            tier=str(served.get("tier", "")),
            device=str(served.get("device", "")),
            units=units,
            skipped=list(served.get("skipped", [])),
        )


@dataclass(frozen=True)
class ChatResult:
    text: str
    finish_reason: str
    usage: CallUsage


@dataclass(frozen=True)
class SpeechResult:
    audio_bytes: bytes
    format: str
    usage: CallUsage

    @property
    def duration_s(self) -> float:
        return self.usage.units.get("audio_seconds", 0.0)


@dataclass(frozen=True)
class ImageResult:
    images: list[bytes]  # PNG files
    seeds: list[int]
    usage: CallUsage


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: list[list[float]]
    model: str
    usage: CallUsage


def _chat_args(messages: list[dict[str, str]], model: str, max_tokens: int,
               temperature: float, seed: int | None) -> dict[str, Any]:
    return {"model": model, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature, **({"seed": seed} if seed is not None else {})}


def _chat_result(raw: Any) -> ChatResult:
    completion = raw.parse()
    choice = completion.choices[0]
    return ChatResult(choice.message.content or "", choice.finish_reason or "stop",
                      CallUsage.from_headers(raw.headers))


async def chat(client: openai.AsyncOpenAI, messages: list[dict[str, str]], *,
               model: str = "text", max_tokens: int = 512, temperature: float = 0.7,
               seed: int | None = None) -> ChatResult:
    raw = await client.chat.completions.with_raw_response.create(
        **_chat_args(messages, model, max_tokens, temperature, seed))
    return _chat_result(raw)


def chat_sync(client: openai.OpenAI, messages: list[dict[str, str]], *, model: str = "text",
              max_tokens: int = 512, temperature: float = 0.7,
              seed: int | None = None) -> ChatResult:
    raw = client.chat.completions.with_raw_response.create(
        **_chat_args(messages, model, max_tokens, temperature, seed))
    return _chat_result(raw)


def _speech_args(text: str, voice: str, speed: float, response_format: str, model: str,
                 pitch: int | None) -> dict[str, Any]:
    args: dict[str, Any] = {"model": model, "input": text, "voice": voice, "speed": speed,
                            "response_format": response_format}
    if pitch is not None:
        args["extra_body"] = {"pitch": pitch}
    return args


async def synthesize_speech(client: openai.AsyncOpenAI, text: str, voice: str = "alloy",
                            speed: float = 1.0, *, response_format: str = "wav",
                            model: str = "speech", pitch: int | None = None) -> SpeechResult:
    raw = await client.audio.speech.with_raw_response.create(
        **_speech_args(text, voice, speed, response_format, model, pitch))
    return SpeechResult(raw.content, response_format, CallUsage.from_headers(raw.headers))


def synthesize_speech_sync(client: openai.OpenAI, text: str, voice: str = "alloy",
                           speed: float = 1.0, *, response_format: str = "wav",
                           model: str = "speech", pitch: int | None = None) -> SpeechResult:
    raw = client.audio.speech.with_raw_response.create(
        **_speech_args(text, voice, speed, response_format, model, pitch))
    return SpeechResult(raw.content, response_format, CallUsage.from_headers(raw.headers))


def _image_args(prompt: str, size: str, n: int, seed: int | None, model: str,
                negative_prompt: str | None, steps: int | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if seed is not None:
        extra["seed"] = seed
    if negative_prompt:
        extra["negative_prompt"] = negative_prompt
    if steps is not None:
        extra["steps"] = steps
    return {"prompt": prompt, "size": size, "n": n, "model": model,
            "response_format": "b64_json", "extra_body": extra}


def _image_result(raw: Any) -> ImageResult:
    payload = json.loads(raw.http_response.content)
    images = [base64.b64decode(item["b64_json"]) for item in payload["data"]]
    seeds = [int(item.get("seed", 0)) for item in payload["data"]]
    return ImageResult(images, seeds, CallUsage.from_headers(raw.headers))


async def generate_image(client: openai.AsyncOpenAI, prompt: str, size: str = "1920x1080", *,
                         n: int = 1, seed: int | None = None, model: str = "image",
                         negative_prompt: str | None = None,
                         steps: int | None = None) -> ImageResult:
    raw = await client.images.with_raw_response.generate(
        **_image_args(prompt, size, n, seed, model, negative_prompt, steps))
    return _image_result(raw)


def generate_image_sync(client: openai.OpenAI, prompt: str, size: str = "1920x1080", *,
                        n: int = 1, seed: int | None = None, model: str = "image",
                        negative_prompt: str | None = None,
                        steps: int | None = None) -> ImageResult:
    raw = client.images.with_raw_response.generate(
        **_image_args(prompt, size, n, seed, model, negative_prompt, steps))
    return _image_result(raw)


def _embedding_result(raw: Any) -> EmbeddingResult:
    response = raw.parse()
    vectors = [d.embedding for d in sorted(response.data, key=lambda d: d.index)]
    return EmbeddingResult(vectors, response.model, CallUsage.from_headers(raw.headers))


async def embed(client: openai.AsyncOpenAI, texts: list[str], *,
                model: str = "embeddings") -> EmbeddingResult:
    raw = await client.embeddings.with_raw_response.create(model=model, input=texts,
                                                           encoding_format="float")
    return _embedding_result(raw)


def embed_sync(client: openai.OpenAI, texts: list[str], *,
               model: str = "embeddings") -> EmbeddingResult:
    raw = client.embeddings.with_raw_response.create(model=model, input=texts,
                                                     encoding_format="float")
    return _embedding_result(raw)
