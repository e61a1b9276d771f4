"""Request and response bodies of the OpenAI-compatible API (plus ``usage``/``ytempire``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ai.slide_spec import SlideSpec

MAX_IMAGES_PER_REQUEST = 10
MAX_SPEECH_CHARS = 20_000
MAX_EMBEDDING_INPUTS = 2048
MIN_SIDE, MAX_SIDE, MAX_PIXELS = 64, 4096, 4096 * 2304

# Response headers of every model call (the body carries the same as ``usage``/``ytempire``).
USAGE_HEADER = "x-ytempire-usage"  # Usage as JSON
SERVED_HEADER = "x-ytempire-served"  # Served as JSON
BACKEND_HEADER = "x-ytempire-backend"  # historical name: it carries the model id, like x-model
MODEL_HEADER = "x-model"  # the model that really served the call


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = True


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = "text"
    messages: list[ChatMessageIn] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=32_768)
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int = Field(default=1, ge=1, le=1)
    stream: bool = False
    stream_options: StreamOptions | None = None

    @field_validator("messages")
    @classmethod
    def _not_blank(cls, messages: list[ChatMessageIn]) -> list[ChatMessageIn]:
        if not any(m.text().strip() for m in messages):
            raise ValueError("every message is empty")
        return messages

    def stops(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop[:4])


class ImageRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1, max_length=4000)
    model: str | None = None
    n: int = Field(default=1, ge=1, le=MAX_IMAGES_PER_REQUEST)
    size: str = "1024x1024"
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    negative_prompt: str = ""
    steps: int | None = Field(default=None, ge=1, le=150)
    guidance_scale: float | None = Field(default=None, ge=0, le=30)
    response_format: Literal["b64_json"] = "b64_json"
    quality: str | None = None
    style: str | None = None
    slide: SlideSpec | None = None  # YTEMPIRE extension: a designed slide's content

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, prompt: str) -> str:
        if not prompt.strip():
            raise ValueError("prompt is empty")
        return prompt

    @field_validator("size")
    @classmethod
    def _size(cls, size: str) -> str:
        parse_size(size)
        return size

    def dimensions(self) -> tuple[int, int]:
        return parse_size(self.size)


def parse_size(size: str) -> tuple[int, int]:
    parts = size.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"size must look like 1920x1080, got {size!r}")
    width, height = int(parts[0]), int(parts[1])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"unsupported size {size}: each side must be {MIN_SIDE}..{MAX_SIDE}")
    if width * height > MAX_PIXELS:
        raise ValueError(f"unsupported size {size}: at most {MAX_PIXELS} pixels")
    return width, height


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str = Field(min_length=1, max_length=MAX_SPEECH_CHARS)
    model: str = "speech"
    voice: str = "alloy"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    pitch: int = Field(default=50, ge=0, le=100)
    response_format: Literal["wav", "mp3"] = "mp3"  # OpenAI's default; the pipeline asks for wav
    # Our extension: answer with a JSON SpeechWithTimestamps instead of the audio bytes.
    timestamps: bool = False

    @field_validator("input")
    @classmethod
    def _input_not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("input is empty")
        return text


class WordTimingOut(BaseModel):
    word: str
    start: float  # seconds into the audio
    end: float


class SpeechWithTimestamps(BaseModel):
    """The answer to a speech request with ``timestamps: true``: the audio (base64) and each
    word's timing as the engine reported it (``words`` null when the model cannot tell)."""

    audio: str
    format: Literal["wav", "mp3"]
    duration_s: float
    words: list[WordTimingOut] | None


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str | list[str] = Field(min_length=1)
    model: str = "embeddings"
    encoding_format: Literal["float", "base64"] = "float"  # the SDK asks for base64

    def texts(self) -> list[str]:
        texts = [self.input] if isinstance(self.input, str) else list(self.input)
        if len(texts) > MAX_EMBEDDING_INPUTS:
            raise ValueError(f"at most {MAX_EMBEDDING_INPUTS} inputs per request")
        if any(not t.strip() for t in texts):
            raise ValueError("input contains an empty string")
        return texts


class Usage(BaseModel):
    """What one call used and cost: the one usage record on the wire (body and header)."""

    model_config = ConfigDict(extra="ignore")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    images: int = 0
    characters: int = 0
    audio_seconds: float = 0.0
    device_seconds: float = 0.0
    cost_usd: float = 0.0


class Skip(BaseModel):
    model: str
    tier: str
    reason: str


class Served(BaseModel):
    """Who answered and why the others in the chain did not."""

    model_config = ConfigDict(extra="ignore")

    model: str = ""
    backend: str = ""
    tier: str = ""
    device: str = ""
    skipped: list[Skip] = Field(default_factory=list)
