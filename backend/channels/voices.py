"""Voices a channel can pick (from ``ai.voices``) and short previews of them.

A preview is synthesized once per voice through the AI gateway (the same client code
the voice stage uses) and kept in Redis; each user may ask for a limited number of
fresh syntheses per minute, so the endpoint cannot be used to keep the CPU busy.
"""

from __future__ import annotations

import hashlib
import uuid

import openai
import redis.asyncio as aioredis
import structlog

from ai.registry import load_registry
from ai.voices import Voice, installed_voices
from backend.errors import NotFound, ServiceUnavailable, TooManyRequests
from backend.settings import Settings

log = structlog.get_logger(__name__)

PREVIEW_TEXT = "Hello! This is how the narration of your channel sounds with this voice."
PREVIEW_TTL_S = 7 * 86400
PREVIEW_TIMEOUT_S = 60.0
FRESH_PER_MINUTE = 6
_PREFIX = "ytempire:voice-preview"


def catalogue(settings: Settings) -> list[Voice]:
    return installed_voices(load_registry(settings.ai_registry_path), settings.models_dir)


def find(settings: Settings, voice_id: str) -> Voice:
    for voice in catalogue(settings):
        if voice.id == voice_id:
            return voice
    raise NotFound("voice", voice_id)


def _cache_key(voice_id: str) -> str:
    digest = hashlib.sha256(f"{voice_id}\0{PREVIEW_TEXT}".encode()).hexdigest()[:24]
    return f"{_PREFIX}:audio:{digest}"


async def _count_fresh(client: aioredis.Redis, user_id: uuid.UUID) -> None:
    key = f"{_PREFIX}:rate:{user_id}"
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 60, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    if int(count) > FRESH_PER_MINUTE:
        raise TooManyRequests(
            "Too many voice previews at once; try again in a minute",
            retry_after=max(int(ttl or 0), 1),
            code="preview_throttled",
        )


async def preview(
    settings: Settings, client: aioredis.Redis, user_id: uuid.UUID, voice_id: str
) -> bytes:
    """WAV audio of a short sample in this voice (cached per voice)."""
    from ai.calls import synthesize_speech
    from ai.client import make_openai_client

    voice = find(settings, voice_id)
    key = _cache_key(voice.id)
    cached = await client.get(key)
    if isinstance(cached, bytes) and cached:
        return cached
    await _count_fresh(client, user_id)
    ai = make_openai_client(settings, timeout=PREVIEW_TIMEOUT_S)
    try:
        speech = await synthesize_speech(ai, PREVIEW_TEXT, voice=voice.id, response_format="wav")
    except openai.OpenAIError as exc:
        log.warning("voice.preview_failed", voice=voice.id, error=repr(exc))
        raise ServiceUnavailable(
            f"The AI gateway could not speak a sample in {voice.id!r}: {exc}"[:300],
            code="preview_unavailable",
        ) from exc
    finally:
        await ai.close()
    await client.set(key, speech.audio_bytes, ex=PREVIEW_TTL_S)
    log.info("voice.preview", voice=voice.id, bytes=len(speech.audio_bytes))
    return speech.audio_bytes
