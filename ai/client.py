"""The one way the backend talks to the AI gateway: the ``openai`` SDK.

With ``YTE_AI_BASE_URL`` set, the SDK goes over HTTP to ``ytempire ai serve``. Without it
(embedded mode) the same FastAPI app runs inside this process, created once, on its own
event loop in a daemon thread; both the async and the sync client hand requests to that
loop. Models, locks and the image micro-batcher therefore live on one loop for the whole
process, whichever loop (or ``asyncio.run`` in an RQ job, or none) the caller uses.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar, cast

import httpx
import openai
import structlog
from fastapi import FastAPI

from ai.calls import (
    ChatResult,
    EmbeddingResult,
    ImageResult,
    SpeechResult,
    chat,
    chat_sync,
    embed,
    embed_sync,
    generate_image,
    generate_image_sync,
    synthesize_speech,
    synthesize_speech_sync,
    usage_of,
)
from ai.security import EMBEDDED_HOST
from ai.settings import AISettings, ai_settings_of, gateway_identity

log = structlog.get_logger(__name__)
T = TypeVar("T")
EMBEDDED_BASE_URL = f"http://{EMBEDDED_HOST}/v1"


class EmbeddedGateway:
    """The in-process gateway app and the loop it runs on.

    Its key is the one chosen in ``YTE_AI_API_KEY``, else a random one kept in the data dir
    (never the published default); in-process clients send :attr:`api_key`.
    """

    def __init__(self, settings: AISettings) -> None:
        from ai.app import create_app

        settings = ai_settings_of(settings)
        self.api_key = settings.embedded_api_key()
        self.settings = settings.model_copy(update={"ai_api_key": self.api_key})
        settings = self.settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="ai-gateway-loop", daemon=True)
        self.thread.start()
        self.app: FastAPI = self.call(self._create(create_app, settings), timeout=120)
        self.transport = httpx.ASGITransport(app=self.app)

    @staticmethod
    async def _create(factory: Any, settings: AISettings) -> FastAPI:
        app: FastAPI = factory(settings)
        return app

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if threading.current_thread() is self.thread:
            raise RuntimeError("a blocking gateway call from the gateway's own loop would deadlock")
        return self.submit(coro).result(timeout)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Runs on the gateway loop: forward one buffered request to the app."""
        response = await self.transport.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


_embedded: dict[str, EmbeddedGateway] = {}
_embedded_lock = threading.Lock()


def embedded_gateway(settings: AISettings) -> EmbeddedGateway:
    """The process's in-process gateway (created on first use, then reused).

    Keyed by :func:`ai.settings.gateway_identity`: every gateway field that changes what it
    serves, derived from :class:`AISettings` (a backend ``Settings`` gives the same key).
    """
    key = gateway_identity(settings)
    with _embedded_lock:
        gateway = _embedded.get(key)
        if gateway is None:
            gateway = EmbeddedGateway(settings)
            _embedded[key] = gateway
            log.info("ai.embedded.started", gateways=len(_embedded))
        return gateway


class _InProcessAsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, gateway: EmbeddedGateway) -> None:
        self.gateway = gateway

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=content
        )
        if asyncio.get_running_loop() is self.gateway.loop:
            return await self.gateway.handle(forwarded)
        return await asyncio.wrap_future(self.gateway.submit(self.gateway.handle(forwarded)))


class _InProcessSyncTransport(httpx.BaseTransport):
    def __init__(self, gateway: EmbeddedGateway) -> None:
        self.gateway = gateway

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=content
        )
        return self.gateway.call(self.gateway.handle(forwarded))


def gateway_base_url(settings: AISettings) -> str:
    url = (settings.ai_base_url or EMBEDDED_BASE_URL).rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


def make_openai_client(settings: AISettings, *, timeout: float = 900.0) -> openai.AsyncOpenAI:
    if settings.ai_base_url:
        return openai.AsyncOpenAI(
            base_url=gateway_base_url(settings),
            api_key=settings.ai_api_key,
            timeout=timeout,
            max_retries=1,
        )
    gateway = embedded_gateway(settings)
    http_client = httpx.AsyncClient(transport=_InProcessAsyncTransport(gateway), timeout=timeout)
    # the SDK accepts httpx clients next to its own httpx2 ones; its stubs name only httpx2
    return openai.AsyncOpenAI(
        base_url=EMBEDDED_BASE_URL,
        api_key=gateway.api_key,
        http_client=cast(Any, http_client),
        max_retries=0,
    )


def make_sync_openai_client(settings: AISettings, *, timeout: float = 900.0) -> openai.OpenAI:
    if settings.ai_base_url:
        return openai.OpenAI(
            base_url=gateway_base_url(settings),
            api_key=settings.ai_api_key,
            timeout=timeout,
            max_retries=1,
        )
    gateway = embedded_gateway(settings)
    http_client = httpx.Client(transport=_InProcessSyncTransport(gateway), timeout=timeout)
    return openai.OpenAI(
        base_url=EMBEDDED_BASE_URL,
        api_key=gateway.api_key,
        http_client=cast(Any, http_client),
        max_retries=0,
    )


__all__ = [
    "ChatResult",
    "EmbeddedGateway",
    "EmbeddingResult",
    "ImageResult",
    "SpeechResult",
    "chat",
    "chat_sync",
    "embed",
    "embed_sync",
    "embedded_gateway",
    "generate_image",
    "generate_image_sync",
    "make_openai_client",
    "make_sync_openai_client",
    "synthesize_speech",
    "synthesize_speech_sync",
    "usage_of",
]
