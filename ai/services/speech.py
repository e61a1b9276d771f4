"""Speech synthesis: voices checked up front, audio converted to the requested format."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from ai.audio import convert, wav_duration
from ai.backends.base import CloudUsage, SpeechAudio, WordTiming
from ai.backends.speech_espeak import EspeakSpeech
from ai.backends.speech_kokoro import KokoroSpeech
from ai.backends.speech_vits import VitsSpeech
from ai.errors import UnknownVoice
from ai.gateway import Attempt, Gateway, Outcome
from ai.registry import ModelSpec
from ai.schemas import SpeechRequest, Usage

# OpenAI's voice names; every backend maps them to one of its own voices
GENERIC_VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "nova",
    "onyx",
    "sage",
    "shimmer",
    "verse",
    "default",
)
ELEVENLABS_VOICE_ID = re.compile(r"^[A-Za-z0-9]{20}$")


@dataclass(frozen=True)
class SpeechOutput:
    audio: bytes
    format: str
    duration_s: float
    chars: int
    words: tuple[WordTiming, ...] | None = None  # None: the model cannot tell


class SpeechService:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def offers_voice(self, spec: ModelSpec, voice: str) -> bool:
        if voice in GENERIC_VOICES or voice in spec.voices:
            return True
        if spec.backend == "espeak":
            try:
                return (
                    EspeakSpeech(spec.package or "espeakng_loader", spec.voices).resolve_voice(
                        voice
                    )
                    is not None
                )
            except Exception:
                return False
        if spec.backend == "elevenlabs":
            return bool(ELEVENLABS_VOICE_ID.match(voice))
        if spec.backend == "vits":
            return voice.isdigit()
        if spec.backend == "kokoro":
            return voice in spec.speakers
        return False

    async def synthesize(self, request: SpeechRequest) -> Outcome[SpeechOutput]:
        chain = self.gateway.chain_for("speech", request.model)
        voice = request.voice
        if not any(self.offers_voice(spec, voice) for spec in chain):
            raise UnknownVoice(
                f"unknown voice {voice!r}; every speech model offers: {', '.join(GENERIC_VOICES)}",
                details={"voice": voice, "generic_voices": list(GENERIC_VOICES)},
            )
        text, fmt = request.input, request.response_format

        async def attempt(spec: ModelSpec) -> Attempt[SpeechOutput]:
            if spec.is_cloud:
                audio = await self._cloud(spec, text, voice, request.speed, fmt, request.timestamps)
                result = Attempt(audio, "cloud", cloud=CloudUsage(chars=len(text)))
            else:
                native = _native_voice(spec, voice)
                result = await self.gateway.run_local(
                    spec, lambda model: _synthesize_local(model, text, native, request)
                )
            encoded = await asyncio.to_thread(convert, result.value.data, result.value.format, fmt)
            duration = result.value.duration_s
            if duration is None:
                wav = (
                    encoded
                    if fmt == "wav"
                    else await asyncio.to_thread(convert, encoded, fmt, "wav")
                )
                duration = wav_duration(wav)
            output = SpeechOutput(encoded, fmt, duration, len(text), result.value.words)
            return Attempt(output, result.device, result.device_seconds, result.cloud)

        return await self.gateway.serve(
            "speech",
            chain,
            attempt,
            units=lambda out: {"chars": out.chars, "audio_seconds": out.duration_s},
            usage=lambda out: Usage(characters=out.chars, audio_seconds=round(out.duration_s, 3)),
            skip_if=lambda spec: (
                None
                if self.offers_voice(spec, voice)
                else f"voice {voice!r} is not offered by this model"
            ),
        )

    async def _cloud(
        self, spec: ModelSpec, text: str, voice: str, speed: float, fmt: str, timestamps: bool
    ) -> SpeechAudio:
        if spec.backend == "elevenlabs":
            voice_id = spec.voices.get(voice) or (
                voice if ELEVENLABS_VOICE_ID.match(voice) else spec.voices["default"]
            )
            return await self.gateway.elevenlabs.speech(
                spec, voice_id, text, speed, fmt, timestamps=timestamps
            )
        native = spec.voices.get(voice, "alloy")
        return await self.gateway.openai.speech(spec, text, native, speed, fmt)


def _native_voice(spec: ModelSpec, voice: str) -> str:
    if voice in spec.voices:
        return spec.voices[voice]
    if voice in GENERIC_VOICES:
        return spec.voices.get("default", "default")
    return voice


def _synthesize_local(model: object, text: str, voice: str, request: SpeechRequest) -> SpeechAudio:
    if isinstance(model, EspeakSpeech):
        return model.synthesize(text, voice, request.speed, request.pitch)
    if isinstance(model, VitsSpeech):
        return model.synthesize(text, voice, request.speed)
    if isinstance(model, KokoroSpeech):
        return model.synthesize(text, voice, request.speed)
    raise TypeError(f"{type(model).__name__} is not a speech model")
