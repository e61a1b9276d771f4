"""Bad input is a 4xx in the error shape, and the spec declares what the API answers."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
from fastapi import FastAPI

from tests.backend.conftest import Api

REQUIRED = {
    "name": None,
    "niche": None,
    "language": None,
    "status": None,
    "format": None,
    "cadence_per_day": None,
    "daily_budget_usd": None,
    "monthly_budget_usd": None,
    "quality_threshold": None,
    "voice_settings": None,
    "style_settings": None,
    "made_for_kids": None,  # set once, it stays set: YouTube needs an answer per upload
    "privacy": None,
    "auto_publish": None,
    "autopilot": None,
    "autopilot_buffer_days": None,
    "timezone": None,
}


async def test_null_for_a_required_channel_field_is_a_422(owner: Api) -> None:
    channel = await owner.create_channel()
    url = f"/api/v1/channels/{channel['id']}"
    for name in REQUIRED:
        response = await owner.patch(url, json={name: None})
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"]["errors"][0]["loc"][-1] == name
    # nothing changed; a field left out keeps its value; youtube_channel_id may be unlinked
    after = (await owner.get(url)).json()
    assert after["daily_budget_usd"] == channel["daily_budget_usd"]
    assert after["voice_settings"] == channel["voice_settings"]
    response = await owner.patch(url, json={"youtube_channel_id": None, "niche": "stars"})
    assert response.status_code == 200, response.text
    assert response.json()["niche"] == "stars"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = [
    "zzz",
    "!!!!",
    "%%%",
    _b64(b"\xff\xfe\x00"),
    _b64(b"[1, 2, 3]"),
    _b64(b'{"x": 1}'),
    _b64(json.dumps(["not-a-date", "not-a-uuid"]).encode()),
    _b64(json.dumps([None, None]).encode()),
    _b64(json.dumps({"v": 1e400}).encode()),
    "a" * 199,
]


async def test_a_malformed_cursor_is_a_4xx_on_every_paged_list(owner: Api) -> None:
    for path in ("/api/v1/videos", "/api/v1/niches"):
        for cursor in MALFORMED_CURSORS:
            response = await owner.get(path, params={"cursor": cursor})
            assert response.status_code in (400, 422), (path, cursor, response.text)
            assert response.json()["error"]["code"] in ("invalid_cursor", "validation_error")


async def test_a_well_formed_cursor_with_the_wrong_value_is_a_400(owner: Api) -> None:
    niche = str(uuid.uuid4())
    values = [{"a": 1}, [1, 2], "abc", True, None, 1e308, "2026-13-45T99:99", 12]
    for sort in ("score", "recent", "name"):
        for value in values:
            if (sort, type(value)) in (("score", int), ("name", str)):
                continue  # the right kind of value for that sort
            cursor = _b64(json.dumps([value, niche]).encode())
            response = await owner.get("/api/v1/niches", params={"cursor": cursor, "sort": sort})
            assert response.status_code == 400, (sort, value, response.text)
            assert response.json()["error"]["code"] == "invalid_cursor"
    for value in (["abc", niche], [123, niche], [None, niche], [{"a": 1}, niche]):
        cursor = _b64(json.dumps(value).encode())
        response = await owner.get("/api/v1/videos", params={"cursor": cursor})
        assert response.status_code == 400, (value, response.text)


async def test_the_spec_declares_every_error_status_with_the_error_schema(app: FastAPI) -> None:
    spec = app.openapi()
    operations = [
        (path, method, op)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in methods.items()
    ]
    assert len(operations) >= 40
    for path, method, op in operations:
        declared = set(op["responses"])
        for status in ("400", "401", "403", "404", "409", "413", "422", "429", "503"):
            assert status in declared, (method, path, status)
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    assert "503" in spec["paths"]["/ready"]["get"]["responses"]


async def test_docs_pages_have_a_content_security_policy(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        response = await client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["script-src"] == "'self'", csp  # no inline or remote script
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert "http" not in csp  # nothing from another origin
