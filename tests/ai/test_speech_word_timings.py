"""Word timings from the speech engines themselves, and the gateway's timestamps extension."""

from __future__ import annotations

import base64
import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ai.app import create_app
from ai.backends.base import WordTiming
from ai.backends.speech_espeak import EspeakSpeech
from ai.backends.speech_vits import VitsSpeech
from ai.backends.word_timing import Span, align_words, words_from_spans
from ai.calls import synthesize_speech
from tests.ai.conftest import make_settings, raw_client
from tests.ai.fake_cloud import running_server
from tests.ai.tiny_models import build_tiny_vits

TEXT = "Seven bright lanterns drift, slowly, under the cold sea."


@pytest.fixture(scope="module")
def espeak() -> EspeakSpeech:
    return EspeakSpeech("espeakng_loader", {})


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_espeak_times_every_word_of_the_input(espeak: EspeakSpeech) -> None:
    audio = espeak.synthesize(TEXT, "en-us", 1.0)
    assert audio.words is not None
    assert [w.word for w in audio.words] == TEXT.split()
    starts = [w.start_s for w in audio.words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(w.start_s < w.end_s <= audio.duration_s + 1e-6 for w in audio.words)  # type: ignore[operator]
    assert audio.words[-1].end_s > 0.8 * _wav_seconds(audio.data)


def test_espeak_word_times_follow_the_speaking_rate(espeak: EspeakSpeech) -> None:
    normal = espeak.synthesize(TEXT, "en-us", 1.0).words
    slow = espeak.synthesize(TEXT, "en-us", 0.5).words
    assert normal is not None and slow is not None
    ratio = slow[-1].start_s / normal[-1].start_s
    assert 1.6 < ratio < 2.4


def test_espeak_maps_read_out_numbers_and_silent_dashes_to_the_written_words(
    espeak: EspeakSpeech,
) -> None:
    text = "It grew 3.5 percent — then stopped."
    words = espeak.synthesize(text, "en-us", 1.0).words
    assert words is not None
    assert [w.word for w in words] == text.split()
    number, percent, dash, then = words[2], words[3], words[4], words[5]
    assert number.end_s - number.start_s > percent.end_s - percent.start_s  # "three point five"
    assert dash.start_s == dash.end_s and percent.start_s < dash.start_s <= then.start_s


def test_spans_inside_one_written_word_make_one_timing() -> None:
    text = "a 1,000 b"
    spans = [Span(0, 1, 0.0, 0.1), Span(2, 3, 0.2, 0.5), Span(4, 5, 0.5, 0.9), Span(8, 9, 1, 1.2)]
    assert words_from_spans(text, spans) == (
        WordTiming("a", 0.0, 0.1),
        WordTiming("1,000", 0.2, 0.9),
        WordTiming("b", 1.0, 1.2),
    )


def test_align_words_matches_normalized_words_and_spreads_the_unmatched() -> None:
    engine = [WordTiming("hello", 0.0, 0.4), WordTiming("world", 1.0, 1.4)]
    timed = align_words(["Hello,", "—", "world!"], engine)
    assert [(w.word, w.start_s) for w in timed] == [("Hello,", 0.0), ("—", 0.4), ("world!", 1.0)]
    assert timed[1].end_s == 1.0


def test_vits_durations_come_from_its_duration_predictor(tmp_path: Path) -> None:
    model = VitsSpeech.from_dir(build_tiny_vits(tmp_path / "vits"), "float32", "cpu", {})
    text = "Hello there, brave world! And again."
    audio = model.synthesize(text, "0", 1.0)
    assert audio.words is not None and audio.duration_s is not None
    assert [w.word for w in audio.words] == text.split()
    starts = [w.start_s for w in audio.words]
    assert starts == sorted(starts) and starts[0] < 0.05
    # the predicted lengths add up to the waveform: the last word ends with the audio
    assert abs(audio.words[-1].end_s - audio.duration_s) < 0.02
    slow = model.synthesize(text, "0", 0.5).words
    assert slow is not None
    assert slow[-1].end_s > 1.6 * audio.words[-1].end_s


async def test_gateway_answers_timestamps_with_words_and_keeps_plain_audio(
    cpu_http: Any, cpu_sdk: openai.AsyncOpenAI
) -> None:
    plain = await cpu_http.post(
        "/v1/audio/speech", json={"input": TEXT, "voice": "alloy", "response_format": "wav"}
    )
    assert plain.status_code == 200 and plain.headers["content-type"] == "audio/wav"
    assert plain.content[:4] == b"RIFF"
    timed = await cpu_http.post(
        "/v1/audio/speech",
        json={"input": TEXT, "voice": "alloy", "response_format": "wav", "timestamps": True},
    )
    body = timed.json()
    assert body["format"] == "wav" and body["usage"]["characters"] == len(TEXT)
    audio = base64.b64decode(body["audio"])
    # the same speech (espeak-ng may differ by a sample from call to call)
    assert audio[:4] == b"RIFF" and abs(len(audio) - len(plain.content)) < 100
    assert [w["word"] for w in body["words"]] == TEXT.split()
    assert body["duration_s"] == pytest.approx(_wav_seconds(audio), abs=0.002)

    result = await synthesize_speech(cpu_sdk, TEXT, "alloy")
    assert result.audio_bytes[:4] == b"RIFF" and result.format == "wav"
    assert result.words is not None and [w.word for w in result.words] == TEXT.split()
    assert result.words[3].start_s == pytest.approx(body["words"][3]["start"], abs=0.005)
    untimed = await synthesize_speech(cpu_sdk, TEXT, "alloy", timestamps=False)
    assert untimed.audio_bytes[:4] == b"RIFF" and untimed.words is None


# ElevenLabs: the SDK against a local stand-in of its /with-timestamps endpoint

ELEVEN_RATE = 22050


def _eleven_app(calls: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/text-to-speech/{voice_id}/with-timestamps")
    async def with_timestamps(voice_id: str, request: Request) -> Response:
        body = await request.json()
        calls.append({"voice": voice_id, "query": dict(request.query_params), "json": body})
        if request.headers.get("xi-api-key") != "eleven-test-key":
            return JSONResponse({"detail": "bad key"}, status_code=401)
        text: str = body["text"]
        per_char = 0.06
        samples = np.zeros(round(len(text) * per_char * ELEVEN_RATE), dtype="<i2")
        return JSONResponse(
            {
                "audio_base64": base64.b64encode(samples.tobytes()).decode(),
                "alignment": {
                    "characters": list(text),
                    "character_start_times_seconds": [i * per_char for i in range(len(text))],
                    "character_end_times_seconds": [(i + 1) * per_char for i in range(len(text))],
                },
                "normalized_alignment": None,
            }
        )

    return app


@pytest.fixture(scope="module")
def eleven() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    calls: list[dict[str, Any]] = []
    with running_server(_eleven_app(calls)) as url:
        yield url, calls


async def test_elevenlabs_words_come_from_its_character_alignment(
    eleven: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, calls = eleven
    app = create_app(
        make_settings(
            tmp_path,
            elevenlabs_api_key="eleven-test-key",
            elevenlabs_base_url=url,
            openai_api_key=None,
        )
    )
    text = "Deep  sea, bright lights."
    async with raw_client(app) as client:
        response = await client.post(
            "/v1/audio/speech",
            json={"input": text, "voice": "nova", "response_format": "wav", "timestamps": True},
        )
    body = response.json()
    assert response.status_code == 200, body
    assert body["ytempire"]["model"] == "eleven-multilingual-v2"
    assert calls[-1]["voice"] == "EXAVITQu4vr4xnSDxMaL"
    assert calls[-1]["query"]["output_format"] == f"pcm_{ELEVEN_RATE}"
    words = [(w["word"], w["start"], w["end"]) for w in body["words"]]
    # "Deep" is characters 0-3, "sea," 6-9 (two spaces), "bright" 11-16, "lights." 18-24
    assert words == [
        ("Deep", 0.0, pytest.approx(0.24)),
        ("sea,", pytest.approx(0.36), pytest.approx(0.6)),
        ("bright", pytest.approx(0.66), pytest.approx(1.02)),
        ("lights.", pytest.approx(1.08), pytest.approx(1.5)),
    ]
    audio = base64.b64decode(body["audio"])
    assert _wav_seconds(audio) == pytest.approx(len(text) * 0.06, abs=0.01)
    assert json.loads(response.headers["x-ytempire-usage"])["characters"] == len(text)


async def test_a_backend_without_timings_answers_words_null(tmp_path: Path) -> None:
    from tests.ai.fake_cloud import running_fake_cloud

    with running_fake_cloud() as cloud:
        app = create_app(
            make_settings(tmp_path, openai_api_key="sk-test", openai_base_url=cloud.openai_url)
        )
        async with raw_client(app) as client:
            response = await client.post(
                "/v1/audio/speech",
                json={
                    "input": "No clock.",
                    "voice": "onyx",
                    "response_format": "wav",
                    "timestamps": True,
                },
            )
    body = response.json()
    assert body["ytempire"]["model"] == "openai-tts-1"
    assert body["words"] is None and body["duration_s"] == pytest.approx(1.0, abs=0.01)
    assert base64.b64decode(body["audio"])[:4] == b"RIFF"
