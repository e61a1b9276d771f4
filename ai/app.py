"""The FastAPI app of the AI gateway: OpenAI-compatible routes over :class:`Gateway`."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import numpy as np
import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from ai.audio import MEDIA_TYPES
from ai.backends.base import TextDelta, TextResult
from ai.errors import GatewayError, InvalidRequest
from ai.gateway import Gateway
from ai.metrics import LATENCY
from ai.schemas import (
    BACKEND_HEADER,
    MODEL_HEADER,
    SERVED_HEADER,
    USAGE_HEADER,
    ChatRequest,
    EmbeddingRequest,
    ImageRequest,
    Served,
    SpeechRequest,
    SpeechWithTimestamps,
    Usage,
    WordTimingOut,
)
from ai.security import HostGuard, allowed_hosts, key_matches
from ai.services import embeddings as embedding_service
from ai.services import text as text_service
from ai.services.images import ImageService
from ai.services.speech import SpeechService
from ai.settings import DEFAULT_AI_API_KEY, KEY_SETTING, AISettings, get_ai_settings

log = structlog.get_logger(__name__)


def default_api_key() -> str:
    """The documented default of ``YTE_AI_API_KEY`` (safe to print)."""
    return DEFAULT_AI_API_KEY


def describe_key(settings: AISettings) -> str:
    """Which key clients must send, without printing a key the owner chose."""
    if not settings.ai_api_key:
        return f"key: none required ({KEY_SETTING} is empty; loopback only)"
    if settings.ai_api_key == default_api_key():
        return (
            f"key: {settings.ai_api_key} (the default of {KEY_SETTING}; loopback only; "
            "set it to your own)"
        )
    return f"key: {KEY_SETTING} (set)"


class Services:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.images = ImageService(gateway)
        self.speech = SpeechService(gateway)


def create_app(settings: AISettings | None = None, *, gateway: Gateway | None = None) -> FastAPI:
    """The gateway app; requests whose Host is not in :func:`allowed_hosts` get a 421."""
    settings = settings or get_ai_settings()
    services = Services(gateway or Gateway(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "ai.gateway.start",
            profile=services.gateway.profile.name,
            key=describe_key(settings).removeprefix("key: "),
            chains={m: [s.id for s in c] for m, c in services.gateway.chains.items()},
        )
        yield
        await services.gateway.close()

    app = FastAPI(title="YTEMPIRE AI gateway", version="1", lifespan=lifespan)
    app.state.services = services
    _install_error_handlers(app)
    _install_routes(app, settings)
    app.add_middleware(HostGuard, hosts=allowed_hosts(settings))
    return app


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def _check_key(settings: AISettings, request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    if settings.ai_api_key and not key_matches(token, settings.ai_api_key):
        raise _Unauthorized(
            f"invalid or missing API key for the AI gateway: send 'Authorization: Bearer <key>' "
            f"with the value of {KEY_SETTING} (default {default_api_key()!r})"
        )


class _Unauthorized(GatewayError):
    status_code = 401
    code = "invalid_api_key"


def _install_routes(app: FastAPI, settings: AISettings) -> None:
    def authorized(request: Request) -> None:
        _check_key(settings, request)

    auth = [Depends(authorized)]

    @app.post("/v1/chat/completions", dependencies=auth, response_model=None)
    async def chat_completions(body: ChatRequest, services: ServicesDep) -> Response:
        started = time.perf_counter()
        if body.stream:
            stream = await text_service.chat_stream(services.gateway, body)
            return StreamingResponse(
                _sse(stream, body, started),
                media_type="text/event-stream",
                headers={BACKEND_HEADER: stream.served.model, MODEL_HEADER: stream.served.model},
            )
        outcome = await text_service.chat(services.gateway, body)
        LATENCY.labels(modality="text").observe(time.perf_counter() - started)
        result = outcome.value
        payload = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": outcome.served.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.text},
                    "finish_reason": result.finish_reason,
                }
            ],
        }
        return _json(payload, outcome.usage, outcome.served)

    @app.post("/v1/images/generations", dependencies=auth, response_model=None)
    async def images(body: ImageRequest, services: ServicesDep) -> Response:
        started = time.perf_counter()
        outcome = await services.images.generate(body)
        LATENCY.labels(modality="image").observe(time.perf_counter() - started)
        data = [
            {"b64_json": img.png_b64(), "seed": img.seed, "revised_prompt": body.prompt}
            for img in outcome.value
        ]
        payload = {"created": int(time.time()), "model": outcome.served.model, "data": data}
        return _json(payload, outcome.usage, outcome.served)

    @app.post("/v1/audio/speech", dependencies=auth, response_model=None)
    async def speech(body: SpeechRequest, services: ServicesDep) -> Response:
        started = time.perf_counter()
        outcome = await services.speech.synthesize(body)
        LATENCY.labels(modality="speech").observe(time.perf_counter() - started)
        if body.timestamps:
            out = outcome.value
            timed = SpeechWithTimestamps(
                audio=base64.b64encode(out.audio).decode(),
                format="wav" if out.format == "wav" else "mp3",
                duration_s=round(out.duration_s, 3),
                words=None
                if out.words is None
                else [WordTimingOut(word=w.word, start=w.start_s, end=w.end_s) for w in out.words],
            )
            return _json(timed.model_dump(mode="json"), outcome.usage, outcome.served)
        return Response(
            content=outcome.value.audio,
            media_type=MEDIA_TYPES[outcome.value.format],
            headers=_headers(outcome.usage, outcome.served),
        )

    @app.post("/v1/embeddings", dependencies=auth, response_model=None)
    async def embeddings(body: EmbeddingRequest, services: ServicesDep) -> Response:
        started = time.perf_counter()
        try:
            texts = body.texts()
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        outcome = await embedding_service.embed(services.gateway, texts, body.model)
        LATENCY.labels(modality="embeddings").observe(time.perf_counter() - started)
        vectors = outcome.value.vectors
        data = [
            {"object": "embedding", "index": i, "embedding": _encode_vector(v, body)}
            for i, v in enumerate(vectors)
        ]
        payload = {"object": "list", "data": data, "model": outcome.served.model}
        return _json(payload, outcome.usage, outcome.served)

    @app.get("/v1/models", dependencies=auth)
    async def models(services: ServicesDep) -> dict[str, Any]:
        gateway = services.gateway
        return {"object": "list", "data": gateway.models_info(), "aliases": gateway.aliases_info()}

    @app.get("/health")
    async def health(services: ServicesDep) -> dict[str, Any]:
        gateway = services.gateway
        return {
            "status": "ok",
            "profile": gateway.profile.name,
            "loaded": sorted(gateway.manager.loaded()),
            "memory_used_bytes": gateway.manager.used_bytes,
            "memory_budget_bytes": gateway.manager.budget_bytes,
            "chains": {m: [s.id for s in c] for m, c in gateway.chains.items()},
        }

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _sse(
    stream: text_service.ChatStream, body: ChatRequest, started: float
) -> AsyncIterator[str]:
    chunk_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> str:
        payload = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": stream.served.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload)}\n\n"

    yield chunk({"role": "assistant", "content": ""}, None)
    try:
        async for event in stream.events:
            if isinstance(event, TextDelta):
                yield chunk({"content": event.text}, None)
            elif isinstance(event, TextResult):
                extra: dict[str, Any] = {"ytempire": stream.served.model_dump()}
                if stream.usage is not None and (
                    body.stream_options is None or body.stream_options.include_usage
                ):
                    extra["usage"] = stream.usage.model_dump()
                yield chunk({}, event.finish_reason, **extra)
    except Exception as exc:  # the status line is sent already: report in-band
        log.warning("ai.stream.failed", model=stream.served.model, error=str(exc))
        error = {"error": {"code": "stream_failed", "message": str(exc)[:300], "details": {}}}
        yield f"data: {json.dumps(error)}\n\n"
    LATENCY.labels(modality="text").observe(time.perf_counter() - started)
    yield "data: [DONE]\n\n"


def _encode_vector(vector: np.ndarray, body: EmbeddingRequest) -> list[float] | str:
    if body.encoding_format == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    return [float(x) for x in vector]


def _headers(usage: Usage, served: Served) -> dict[str, str]:
    return {
        USAGE_HEADER: usage.model_dump_json(),
        BACKEND_HEADER: served.model,
        MODEL_HEADER: served.model,
        SERVED_HEADER: served.model_dump_json(),
    }


def _json(payload: dict[str, Any], usage: Usage, served: Served) -> JSONResponse:
    payload = {**payload, "usage": usage.model_dump(), "ytempire": served.model_dump()}
    return JSONResponse(payload, headers=_headers(usage, served))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": str(e.get("msg", "")).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        message = "; ".join(
            f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems
        )
        error = InvalidRequest(message or "invalid request body", details={"errors": problems})
        return JSONResponse(error.body(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else "http_error"
        error: dict[str, Any] = {
            "message": str(exc.detail),
            "type": "invalid_request_error",
            "param": None,
            "code": code,
            "details": {},
        }
        return JSONResponse({"error": error}, status_code=exc.status_code)
