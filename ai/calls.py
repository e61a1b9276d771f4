"""Typed helpers over the ``openai`` SDK for the pipeline: results with usage attached.

Each helper has an async form (``openai.AsyncOpenAI``) and a ``*_sync`` form
(``openai.OpenAI``); both read the gateway's usage headers so callers never parse them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import openai

from ai.backends.base import WordTiming
from ai.schemas import SERVED_HEADER, USAGE_HEADER, Served, SpeechWithTimestamps, Usage
from ai.slide_spec import SlideSpec


def usage_of(headers: Mapping[str, str]) -> tuple[Usage, Served]:
    """The gateway's usage record and who served the call, read from its response headers.

    Another OpenAI-compatible server sends neither: zeros and empty names.
    """
    usage = Usage.model_validate_json(headers.get(USAGE_HEADER) or "{}")
    served = Served.model_validate_json(headers.get(SERVED_HEADER) or "{}")
    return usage, served


@dataclass(frozen=True)
class ChatResult:
    text: str
    finish_reason: str
    usage: Usage
    served: Served


@dataclass(frozen=True)
class SpeechResult:
    """Audio as asked for; ``words``: each word's timing as the speech engine reported it
    (None when it cannot tell, or when the server does not know the ``timestamps`` field)."""

    audio_bytes: bytes
    format: str
    usage: Usage
    served: Served
    words: tuple[WordTiming, ...] | None = None

    @property
    def duration_s(self) -> float:
        return self.usage.audio_seconds


@dataclass(frozen=True)
class ImageResult:
    images: list[bytes]  # PNG files
    seeds: list[int]
    usage: Usage
    served: Served


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: list[list[float]]
    model: str
    usage: Usage
    served: Served


def _chat_args(
    messages: list[dict[str, str]],
    model: str,
    max_tokens: int,
    temperature: float,
    seed: int | None,
    top_p: float | None = None,
    stop: list[str] | None = None,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if seed is not None:
        args["seed"] = seed
    if top_p is not None:
        args["top_p"] = top_p
    if stop:
        args["stop"] = stop
    return args


def _chat_result(raw: Any) -> ChatResult:
    completion = raw.parse()
    choice = completion.choices[0]
    return ChatResult(
        choice.message.content or "", choice.finish_reason or "stop", *usage_of(raw.headers)
    )


async def chat(
    client: openai.AsyncOpenAI,
    messages: list[dict[str, str]],
    *,
    model: str = "text",
    max_tokens: int = 512,
    temperature: float = 0.7,
    seed: int | None = None,
    top_p: float | None = None,
    stop: list[str] | None = None,
) -> ChatResult:
    raw = await client.chat.completions.with_raw_response.create(
        **_chat_args(messages, model, max_tokens, temperature, seed, top_p, stop)
    )
    return _chat_result(raw)


def chat_sync(
    client: openai.OpenAI,
    messages: list[dict[str, str]],
    *,
    model: str = "text",
    max_tokens: int = 512,
    temperature: float = 0.7,
    seed: int | None = None,
    top_p: float | None = None,
    stop: list[str] | None = None,
) -> ChatResult:
    raw = client.chat.completions.with_raw_response.create(
        **_chat_args(messages, model, max_tokens, temperature, seed, top_p, stop)
    )
    return _chat_result(raw)


def _speech_args(
    text: str,
    voice: str,
    speed: float,
    response_format: str,
    model: str,
    pitch: int | None,
    timestamps: bool,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": model,
        "input": text,
        "voice": voice,
        "speed": speed,
        "response_format": response_format,
    }
    extra: dict[str, Any] = {}
    if pitch is not None:
        extra["pitch"] = pitch
    if timestamps:
        extra["timestamps"] = True
    if extra:
        args["extra_body"] = extra
    return args


def _speech_result(raw: Any, response_format: str) -> SpeechResult:
    """The audio, and the words when the gateway answered ``timestamps`` with JSON (a plain
    OpenAI-compatible server ignores the field and sends the audio itself)."""
    usage, served = usage_of(raw.headers)
    if not raw.headers.get("content-type", "").startswith("application/json"):
        return SpeechResult(raw.content, response_format, usage, served)
    timed = SpeechWithTimestamps.model_validate_json(raw.content)
    words = (
        None
        if timed.words is None
        else tuple(WordTiming(w.word, w.start, w.end) for w in timed.words)
    )
    return SpeechResult(base64.b64decode(timed.audio), timed.format, usage, served, words)


async def synthesize_speech(
    client: openai.AsyncOpenAI,
    text: str,
    voice: str = "alloy",
    speed: float = 1.0,
    *,
    response_format: str = "wav",
    model: str = "speech",
    pitch: int | None = None,
    timestamps: bool = True,
) -> SpeechResult:
    raw = await client.audio.speech.with_raw_response.create(
        **_speech_args(text, voice, speed, response_format, model, pitch, timestamps)
    )
    return _speech_result(raw, response_format)


def synthesize_speech_sync(
    client: openai.OpenAI,
    text: str,
    voice: str = "alloy",
    speed: float = 1.0,
    *,
    response_format: str = "wav",
    model: str = "speech",
    pitch: int | None = None,
    timestamps: bool = True,
) -> SpeechResult:
    raw = client.audio.speech.with_raw_response.create(
        **_speech_args(text, voice, speed, response_format, model, pitch, timestamps)
    )
    return _speech_result(raw, response_format)


def _image_args(
    prompt: str,
    size: str,
    n: int,
    seed: int | None,
    model: str,
    negative_prompt: str | None,
    steps: int | None,
    slide: SlideSpec | None = None,
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if slide is not None:
        extra["slide"] = slide.model_dump(mode="json")
    if seed is not None:
        extra["seed"] = seed
    if negative_prompt:
        extra["negative_prompt"] = negative_prompt
    if steps is not None:
        extra["steps"] = steps
    return {
        "prompt": prompt,
        "size": size,
        "n": n,
        "model": model,
        "response_format": "b64_json",
        "extra_body": extra,
    }


def _image_result(raw: Any) -> ImageResult:
    payload = json.loads(raw.http_response.content)
    images = [base64.b64decode(item["b64_json"]) for item in payload["data"]]
    seeds = [int(item.get("seed", 0)) for item in payload["data"]]
    return ImageResult(images, seeds, *usage_of(raw.headers))


async def generate_image(
    client: openai.AsyncOpenAI,
    prompt: str,
    size: str = "1920x1080",
    *,
    n: int = 1,
    seed: int | None = None,
    model: str = "image",
    negative_prompt: str | None = None,
    steps: int | None = None,
    slide: SlideSpec | None = None,
) -> ImageResult:
    raw = await client.images.with_raw_response.generate(
        **_image_args(prompt, size, n, seed, model, negative_prompt, steps, slide)
    )
    return _image_result(raw)


def generate_image_sync(
    client: openai.OpenAI,
    prompt: str,
    size: str = "1920x1080",
    *,
    n: int = 1,
    seed: int | None = None,
    model: str = "image",
    negative_prompt: str | None = None,
    steps: int | None = None,
    slide: SlideSpec | None = None,
) -> ImageResult:
    raw = client.images.with_raw_response.generate(
        **_image_args(prompt, size, n, seed, model, negative_prompt, steps, slide)
    )
    return _image_result(raw)


def _embedding_result(raw: Any) -> EmbeddingResult:
    response = raw.parse()
    vectors = [d.embedding for d in sorted(response.data, key=lambda d: d.index)]
    return EmbeddingResult(vectors, response.model, *usage_of(raw.headers))


async def embed(
    client: openai.AsyncOpenAI, texts: list[str], *, model: str = "embeddings"
) -> EmbeddingResult:
    raw = await client.embeddings.with_raw_response.create(
        model=model, input=texts, encoding_format="float"
    )
    return _embedding_result(raw)


def embed_sync(
    client: openai.OpenAI, texts: list[str], *, model: str = "embeddings"
) -> EmbeddingResult:
    raw = client.embeddings.with_raw_response.create(
        model=model, input=texts, encoding_format="float"
    )
    return _embedding_result(raw)
