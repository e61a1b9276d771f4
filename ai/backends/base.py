"""What every backend takes and returns, independent of where the model runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from PIL import Image

from ai.slide_spec import SlideSpec


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True)
class TextParams:
    max_tokens: int = 256
    temperature: float = 0.7
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class TextResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"] = "stop"


TextEvent = TextDelta | TextResult


@dataclass(frozen=True)
class ImageJob:
    prompt: str
    width: int
    height: int
    seed: int
    negative_prompt: str = ""
    steps: int | None = None
    guidance_scale: float | None = None
    slide: SlideSpec | None = None  # structured content for the slide renderer; others ignore it

    @property
    def batch_key(self) -> tuple[int, int, int | None, float | None]:
        """Jobs with the same key can share one forward pass."""
        return (self.width, self.height, self.steps, self.guidance_scale)


@dataclass(frozen=True)
class WordTiming:
    """When a spoken word starts and ends in its clip, as the speech engine itself says."""

    word: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpeechAudio:
    """Encoded audio as a backend produced it; the gateway converts to what was asked.

    ``words``: each word's timing from the engine (espeak-ng's word events, a neural TTS's
    durations, ElevenLabs' timestamps); None when the backend cannot tell.
    """

    data: bytes
    format: Literal["wav", "mp3"]
    duration_s: float | None = None
    words: tuple[WordTiming, ...] | None = None


@dataclass(frozen=True)
class Embeddings:
    vectors: np.ndarray  # (n, dims) float32, L2-normalized
    tokens: int


@dataclass
class CloudUsage:
    """Units a cloud call consumed, for pricing."""

    input_tokens: int = 0
    output_tokens: int = 0
    images: int = 0
    chars: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class LocalModel(Protocol):
    """A model loaded into memory by the VRAM manager."""

    device: str

    def memory_bytes(self) -> int: ...

    def unload(self) -> None: ...


class ImageModel(LocalModel, Protocol):
    def generate(self, jobs: list[ImageJob]) -> list[Image.Image]: ...
