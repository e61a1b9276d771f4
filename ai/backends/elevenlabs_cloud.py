"""ElevenLabs text-to-speech through the ``elevenlabs`` SDK."""

from __future__ import annotations

from elevenlabs import VoiceSettings
from elevenlabs.client import AsyncElevenLabs

from ai.audio import pcm16_to_wav
from ai.backends.base import SpeechAudio
from ai.registry import ModelSpec

PCM_RATE = 22050
SPEED_RANGE = (0.7, 1.2)  # what the API accepts


class ElevenLabsCloud:
    def __init__(self, api_key: str, base_url: str | None, timeout_s: float) -> None:
        self.client = AsyncElevenLabs(api_key=api_key, base_url=base_url, timeout=timeout_s)

    async def speech(
        self, spec: ModelSpec, voice_id: str, text: str, speed: float, fmt: str
    ) -> SpeechAudio:
        output_format = "mp3_44100_128" if fmt == "mp3" else f"pcm_{PCM_RATE}"
        settings = VoiceSettings(speed=max(SPEED_RANGE[0], min(SPEED_RANGE[1], speed)))
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
        data = b"".join(chunks)
        if fmt == "mp3":
            return SpeechAudio(data, "mp3")
        duration = len(data) / 2 / PCM_RATE
        return SpeechAudio(pcm16_to_wav(data, PCM_RATE), "wav", duration)
