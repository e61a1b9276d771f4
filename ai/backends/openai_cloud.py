"""OpenAI for text, images, speech and embeddings, through the ``openai`` SDK."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from openai import AsyncOpenAI
from PIL import Image

from ai.backends.base import (
    ChatMessage,
    Embeddings,
    ImageJob,
    SpeechAudio,
    TextDelta,
    TextEvent,
    TextParams,
    TextResult,
)
from ai.registry import ModelSpec


class OpenAICloud:
    def __init__(self, api_key: str, base_url: str | None, timeout_s: float) -> None:
        self.client = AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=1
        )

    async def chat(
        self, spec: ModelSpec, messages: list[ChatMessage], params: TextParams
    ) -> TextResult:
        response = await self.client.chat.completions.create(**_chat_args(spec, messages, params))
        choice = response.choices[0]
        usage = response.usage
        return TextResult(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason="length" if choice.finish_reason == "length" else "stop",
        )

    async def chat_stream(
        self, spec: ModelSpec, messages: list[ChatMessage], params: TextParams
    ) -> AsyncIterator[TextEvent]:
        stream = await self.client.chat.completions.create(
            **_chat_args(spec, messages, params),
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces: list[str] = []
        prompt_tokens = completion_tokens = 0
        finish = "stop"
        async for chunk in stream:
            if chunk.usage:
                prompt_tokens = chunk.usage.prompt_tokens
                completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices:
                if choice.delta.content:
                    pieces.append(choice.delta.content)
                    yield TextDelta(choice.delta.content)
                if choice.finish_reason == "length":
                    finish = "length"
        yield TextResult(
            "".join(pieces),
            prompt_tokens,
            completion_tokens,
            "length" if finish == "length" else "stop",
        )

    async def images(self, spec: ModelSpec, jobs: list[ImageJob]) -> list[Image.Image]:
        first = jobs[0]
        size = _closest_size(first.width, first.height, spec.options.get("sizes", ["1024x1024"]))
        args: dict[str, Any] = {
            "model": spec.remote_id,
            "prompt": first.prompt,
            "n": len(jobs),
            "size": size,
        }
        if spec.remote_id and spec.remote_id.startswith("dall-e"):
            args["response_format"] = "b64_json"
        elif spec.options.get("quality"):
            args["quality"] = spec.options["quality"]
        response = await self.client.images.generate(**args)
        images = []
        for item in response.data or []:
            if not item.b64_json:
                raise ValueError("OpenAI returned an image without b64_json")
            image = Image.open(io.BytesIO(base64.b64decode(item.b64_json))).convert("RGB")
            images.append(_cover(image, first.width, first.height))
        return images

    async def speech(
        self, spec: ModelSpec, text: str, voice: str, speed: float, fmt: str
    ) -> SpeechAudio:
        response = await self.client.audio.speech.create(
            model=spec.remote_id or "tts-1",
            input=text,
            voice=voice,
            speed=speed,
            response_format="mp3" if fmt == "mp3" else "wav",
        )
        return SpeechAudio(response.content, "mp3" if fmt == "mp3" else "wav")

    async def embeddings(self, spec: ModelSpec, texts: list[str]) -> Embeddings:
        response = await self.client.embeddings.create(model=spec.remote_id or "", input=texts)
        ordered = sorted(response.data, key=lambda d: d.index)
        vectors = np.asarray([d.embedding for d in ordered], dtype=np.float32)
        return Embeddings(vectors, response.usage.prompt_tokens)


def _chat_args(spec: ModelSpec, messages: list[ChatMessage], params: TextParams) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": spec.remote_id,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
    }
    if params.stop:
        args["stop"] = list(params.stop)
    if params.seed is not None:
        args["seed"] = params.seed
    return args


def _closest_size(width: int, height: int, sizes: list[str]) -> str:
    ratio = width / height

    def distance(size: str) -> float:
        w, h = (int(v) for v in size.split("x"))
        return abs(np.log((w / h) / ratio))

    return min(sizes, key=distance)


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover the requested size, then center-crop (providers offer few sizes)."""
    if image.size == (width, height):
        return image
    scale = max(width / image.width, height / image.height)
    resized = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))
