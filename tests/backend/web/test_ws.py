"""``/ws`` on a live server: cookie authentication, same-origin only, per-owner events."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.events.bus import publish
from tests.backend.web.conftest import PASSWORD, LiveServer, live_login


async def open_socket(server: LiveServer, http: httpx.AsyncClient | None) -> ClientConnection:
    headers = {"Origin": server.url}
    if http is not None:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    socket = await connect(server.url.replace("http", "ws") + "/ws", additional_headers=headers)
    hello = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert hello["type"] == "hello"
    return socket


async def refused(url: str, headers: dict[str, str]) -> int | None:
    """A refused socket is accepted, then closed: the close code (4401/4403)."""
    async with connect(url, additional_headers=headers) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def users(server: LiveServer) -> tuple[httpx.AsyncClient, httpx.AsyncClient, str, str]:
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        owner_id = (await api.post("/api/v1/auth/register", json=body)).json()["id"]
        token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        other = await api.post(
            "/api/v1/auth/register",
            json={"email": "other@example.com", "password": PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        )
        other_id = other.json()["id"]
    return (
        await live_login(server, "owner@example.com"),
        await live_login(server, "other@example.com"),
        owner_id,
        other_id,
    )


async def test_socket_refuses_anonymous_and_cross_site_connections(
    live_server: LiveServer,
) -> None:
    url = live_server.url.replace("http", "ws") + "/ws"
    assert await refused(url, {"Origin": live_server.url}) == 4401
    owner, other, _, _ = await users(live_server)
    cookie = "; ".join(f"{k}={v}" for k, v in owner.cookies.items())
    assert await refused(url, {"Origin": "http://evil.example", "Cookie": cookie}) == 4403
    assert await refused(url, {"Cookie": "yte_session=forged"}) == 4401
    await owner.aclose()
    await other.aclose()


async def test_each_owner_receives_only_their_own_events(
    live_server: LiveServer, redis_url: str
) -> None:
    owner, other, owner_id, other_id = await users(live_server)
    client = aioredis.Redis.from_url(redis_url)
    owner_socket = await open_socket(live_server, owner)
    other_socket = await open_socket(live_server, other)
    try:
        video = str(uuid.uuid4())
        event = {"type": "video.completed", "video_id": video, "message": "ready"}
        await publish(client, uuid.UUID(owner_id), event)
        received = json.loads(await asyncio.wait_for(owner_socket.recv(), 5))
        assert received == event
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other_socket.recv(), 1.0)
        await publish(client, uuid.UUID(other_id), {"type": "cost.alert", "message": "80 %"})
        assert json.loads(await asyncio.wait_for(other_socket.recv(), 5))["type"] == "cost.alert"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(owner_socket.recv(), 1.0)
        await owner_socket.send("ping")
        assert json.loads(await asyncio.wait_for(owner_socket.recv(), 5)) == {"type": "pong"}
    finally:
        await owner_socket.close()
        await other_socket.close()
        await client.aclose()
        await owner.aclose()
        await other.aclose()


async def test_a_signed_out_session_cannot_open_a_socket(live_server: LiveServer) -> None:
    owner, other, _, _ = await users(live_server)
    cookie = "; ".join(f"{k}={v}" for k, v in owner.cookies.items())
    page = await owner.get("/")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert (await owner.post("/logout", data={"csrf_token": token})).status_code == 303
    url = live_server.url.replace("http", "ws") + "/ws"
    assert await refused(url, {"Origin": live_server.url, "Cookie": cookie}) == 4401
    await owner.aclose()
    await other.aclose()
