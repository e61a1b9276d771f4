from __future__ import annotations

import httpx

from tests.backend.conftest import Api


async def test_health_is_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}


async def test_ready_checks_database_redis_and_migrations(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_security_headers_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "abc-123"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-request-id"] == "abc-123"


async def test_metrics_label_routes_by_template(owner: Api, client: httpx.AsyncClient) -> None:
    channel = await owner.create_channel()
    await owner.get(f"/api/v1/channels/{channel['id']}")
    body = (await client.get("/metrics")).text
    assert 'route="/api/v1/channels/{channel_id}"' in body
    assert channel["id"] not in body
    assert 'ytempire_queue_depth{queue="production"}' in body
    assert 'ytempire_jobs{queue="maintenance",status="finished"}' in body
