"""ElevenLabs text-to-speech through the ``elevenlabs`` SDK."""

from __future__ import annotations

import base64
import binascii

from elevenlabs import VoiceSettings
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.types import CharacterAlignmentResponseModel

from ai.audio import pcm16_to_wav
from ai.backends.base import SpeechAudio, WordTiming
from ai.backends.word_timing import Span, words_from_spans
from ai.errors import BackendError
from ai.registry import ModelSpec

PCM_RATE = 22050
SPEED_RANGE = (0.7, 1.2)  # what the API accepts


class ElevenLabsCloud:
    def __init__(self, api_key: str, base_url: str | None, timeout_s: float) -> None:
        self.client = AsyncElevenLabs(api_key=api_key, base_url=base_url, timeout=timeout_s)

    async def speech(
        self,
        spec: ModelSpec,
        voice_id: str,
        text: str,
        speed: float,
        fmt: str,
        *,
        timestamps: bool = False,
    ) -> SpeechAudio:
        """The audio of ``text``; with ``timestamps``, through the ``/with-timestamps``
        endpoint, whose character alignment times each word of ``text``."""
        output_format = "mp3_44100_128" if fmt == "mp3" else f"pcm_{PCM_RATE}"
        settings = VoiceSettings(speed=max(SPEED_RANGE[0], min(SPEED_RANGE[1], speed)))
        words: tuple[WordTiming, ...] | None = None
        if timestamps:
            response = await self.client.text_to_speech.convert_with_timestamps(
                voice_id,
                text=text,
                model_id=spec.remote_id,
                output_format=output_format,
                voice_settings=settings,
            )
            try:
                data = base64.b64decode(response.audio_base_64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise BackendError(f"ElevenLabs sent audio that is not base64: {exc}") from exc
            words = words_from_alignment(text, response.alignment)
            return _audio(data, fmt, words)
        chunks = [
            chunk
            async for chunk in self.client.text_to_speech.convert(
                voice_id,
                text=text,
                model_id=spec.remote_id,
                output_format=output_format,
                voice_settings=settings,
            )
        ]
        return _audio(b"".join(chunks), fmt, None)


def _audio(data: bytes, fmt: str, words: tuple[WordTiming, ...] | None) -> SpeechAudio:
    if fmt == "mp3":
        return SpeechAudio(data, "mp3", words=words)
    duration = len(data) / 2 / PCM_RATE
    return SpeechAudio(pcm16_to_wav(data, PCM_RATE), "wav", duration, words)


def words_from_alignment(
    text: str, alignment: CharacterAlignmentResponseModel | None
) -> tuple[WordTiming, ...] | None:
    """Words of ``text`` timed by ElevenLabs' per-character alignment (of the text as sent,
    maybe trimmed); None when it sent none or one that is not of this text."""
    if alignment is None:
        return None
    chars = alignment.characters
    starts = alignment.character_start_times_seconds
    ends = alignment.character_end_times_seconds
    sent = "".join(chars)
    offset = text.find(sent) if sent else -1
    if not (len(chars) == len(starts) == len(ends)) or offset < 0:
        return None
    spans = [
        Span(offset + i, offset + i + 1, float(start), float(end))
        for i, (char, start, end) in enumerate(zip(chars, starts, ends, strict=True))
        if not char.isspace()
    ]
    return words_from_spans(text, spans)
