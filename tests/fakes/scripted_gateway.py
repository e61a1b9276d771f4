"""An AI gateway over real HTTP whose text model is scripted and whose other models are the
real in-process gateway's (CPU MiniLM embeddings, ...).

Point ``YTE_AI_BASE_URL`` (``Settings.ai_base_url``) at :attr:`ScriptedGateway.base_url`:
the backend's own ``openai`` client then talks to it exactly as to ``ytempire ai serve``.
``answers`` decides each chat completion from the request's messages (return ``None`` for
a 400 answer, as a gateway gives when no text model can serve the request).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import uvicorn
from fastapi import FastAPI, Request, Response

from ai.schemas import SERVED_HEADER, USAGE_HEADER

Answer = Callable[[list[dict[str, str]]], str | None]
USAGE = {
    "prompt_tokens": 40,
    "completion_tokens": 60,
    "total_tokens": 100,
    "device_seconds": 0.25,
    "cost_usd": 0.0004,
}
SERVED = {"model": "scripted-llm", "backend": "scripted", "tier": "cpu", "device": "cpu"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ScriptedGateway:
    def __init__(self, real: openai.AsyncOpenAI, answers: Answer) -> None:
        self.real = real
        self.answers = answers
        self.chats: list[list[dict[str, str]]] = []
        self.embedding_calls = 0
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(self._app(), host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.chats.append(body["messages"])
            text = self.answers(body["messages"])
            if text is None:
                error = {"error": {"message": "no text model can serve this", "code": 400}}
                return Response(json.dumps(error), status_code=400, media_type="application/json")
            completion = {
                "id": "scripted",
                "object": "chat.completion",
                "created": 0,
                "model": SERVED["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": USAGE,
            }
            headers = {USAGE_HEADER: json.dumps(USAGE), SERVED_HEADER: json.dumps(SERVED)}
            return Response(json.dumps(completion), headers=headers, media_type="application/json")

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> Response:
            self.embedding_calls += 1
            body: dict[str, Any] = await request.json()
            raw = await self.real.embeddings.with_raw_response.create(**body)
            answer = raw.http_response
            headers = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in (USAGE_HEADER, SERVED_HEADER)
            }
            return Response(answer.content, headers=headers, media_type="application/json")

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {"object": "list", "data": []}

        return app

    def __enter__(self) -> ScriptedGateway:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the scripted gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
