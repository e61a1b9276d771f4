"""A local stand-in for the OpenAI and ElevenLabs HTTP APIs (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from PIL import Image

from ai.audio import convert, pcm16_to_wav

PROMPT_TOKENS, COMPLETION_TOKENS = 12, 5


@dataclass
class FakeCloud:
    base_url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)  # paths that answer 500

    @property
    def openai_url(self) -> str:
        return f"{self.base_url}/v1"


def _app(state: FakeCloud) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        body = await request.body()
        state.calls.append(
            {
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": dict(request.headers),
                "json": json.loads(body) if body else None,
            }
        )
        if any(request.url.path.startswith(p) for p in state.fail):
            return JSONResponse({"error": {"message": "upstream exploded"}}, status_code=500)
        response: Response = await call_next(request)
        return response

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        text = "echo: " + body["messages"][-1]["content"]
        usage = {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        }
        if body.get("stream"):

            def events() -> Iterator[str]:
                for piece in (text[:6], text[6:]):
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 1,
                        "model": body["model"],
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    yield f"data: {json.dumps(chunk)}\n\n"
                final = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": body["model"],
                    "choices": [],
                    "usage": usage,
                }
                yield f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    @app.post("/v1/images/generations")
    async def images(request: Request) -> Response:
        body = await request.json()
        width, height = (int(v) for v in body["size"].split("x"))
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "PNG")
        item = {"b64_json": base64.b64encode(buffer.getvalue()).decode()}
        return JSONResponse({"created": 1, "data": [item] * body.get("n", 1)})

    @app.post("/v1/audio/speech")
    async def speech(request: Request) -> Response:
        body = await request.json()
        wav = _tone_wav(1.0)
        data = convert(wav, "wav", "mp3") if body.get("response_format") == "mp3" else wav
        return Response(data, media_type="audio/mpeg")

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0, 0.5]}
            for i, t in enumerate(texts)
        ]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 7, "total_tokens": 7},
            }
        )

    @app.post("/v1/text-to-speech/{voice_id}")
    async def elevenlabs(voice_id: str, request: Request) -> Response:
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        if request.headers.get("xi-api-key") != "eleven-test-key":
            return JSONResponse({"detail": "bad key"}, status_code=401)
        if fmt.startswith("pcm_"):
            rate = int(fmt.split("_")[1])
            samples = (np.sin(np.arange(rate // 2) / 8) * 8000).astype("<i2")
            return Response(samples.tobytes(), media_type="application/octet-stream")
        return Response(convert(_tone_wav(0.5), "wav", "mp3"), media_type="audio/mpeg")

    return app


def _tone_wav(seconds: float, rate: int = 24000) -> bytes:
    samples = (np.sin(np.arange(int(rate * seconds)) / 6) * 6000).astype("<i2")
    return pcm16_to_wav(samples.tobytes(), rate)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_fake_cloud() -> Iterator[FakeCloud]:
    state = FakeCloud(base_url="")
    with running_server(_app(state)) as url:
        state.base_url = url
        yield state
