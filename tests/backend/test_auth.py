from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import jwt

from backend.db.base import utcnow
from backend.security.tokens import create_access_token
from backend.settings import Settings
from tests.backend.conftest import PASSWORD, SECRET, Api, login, register


async def test_first_user_is_admin_then_registration_closes(client: httpx.AsyncClient) -> None:
    first = await register(client, "first@example.com")
    assert first.status_code == 201 and first.json()["role"] == "admin"
    second = await register(client, "second@example.com")
    assert second.status_code == 403
    assert second.json()["error"]["code"] == "registration_closed"


async def test_admin_creates_users_with_limits(owner: Api, client: httpx.AsyncClient) -> None:
    response = await register(client, "member@example.com", owner, channel_limit=2)
    assert response.status_code == 201
    assert response.json()["role"] == "member" and response.json()["channel_limit"] == 2
    duplicate = await register(client, "MEMBER@example.com", owner)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "email_taken"


async def test_members_cannot_create_users(other: Api, client: httpx.AsyncClient) -> None:
    response = await register(client, "third@example.com", other)
    assert response.status_code == 403


async def test_open_registration(settings: Settings, owner: Api, client: httpx.AsyncClient) -> None:
    settings.open_registration = True
    response = await register(client, "open@example.com")
    assert response.status_code == 201 and response.json()["role"] == "member"
    escalate = await register(client, "sneaky@example.com", role="admin")
    assert escalate.status_code == 403


async def test_weak_password_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "a@example.com", "password": "short"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_login_and_me(owner: Api) -> None:
    me = await owner.get("/api/v1/users/me")
    assert me.status_code == 200 and me.json()["email"] == "owner@example.com"
    assert owner.tokens["token_type"] == "bearer" and owner.tokens["expires_in"] == 30 * 60


async def test_wrong_password_is_401(owner: Api, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "owner@example.com", "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_failed_logins_are_throttled(
    settings: Settings, owner: Api, client: httpx.AsyncClient
) -> None:
    body = {"email": "owner@example.com", "password": "wrong-password"}
    codes = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(6)]
    assert codes == [401] * settings.login_max_failures + [429]
    # Even the right password is refused while throttled.
    blocked = await client.post(
        "/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["error"]["code"] == "login_throttled"


async def test_missing_expired_and_tampered_tokens(owner: Api, client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/users/me")).status_code == 401
    me = (await owner.get("/api/v1/users/me")).json()
    expired, _ = create_access_token(
        uuid.UUID(me["id"]), "admin", SECRET, minutes=1, now=utcnow() - timedelta(minutes=5)
    )
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"

    claims = jwt.decode(owner.tokens["access_token"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin", "sub": str(uuid.uuid4())}, "not-the-key")
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"

    head, payload, signature = owner.tokens["access_token"].split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}AA"
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


async def test_refresh_rotates_and_reuse_revokes_the_family(
    owner: Api, client: httpx.AsyncClient
) -> None:
    first = owner.tokens["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first

    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "refresh_reused"
    # The reuse revoked the whole family, including the token it had been rotated into.
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401


async def test_logout_revokes_refresh_and_access(owner: Api, client: httpx.AsyncClient) -> None:
    response = await owner.post(
        "/api/v1/auth/logout", json={"refresh_token": owner.tokens["refresh_token"]}
    )
    assert response.status_code == 204
    assert (await owner.get("/api/v1/users/me")).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_update_me_and_password_change_ends_sessions(
    owner: Api, client: httpx.AsyncClient
) -> None:
    renamed = await owner.put("/api/v1/users/me", json={"full_name": "Ada Owner"})
    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Ada Owner"

    wrong = await owner.put(
        "/api/v1/users/me",
        json={"current_password": "not-my-password", "new_password": "a brand new secret"},
    )
    assert wrong.status_code == 401
    no_current = await owner.put("/api/v1/users/me", json={"new_password": "a brand new secret"})
    assert no_current.status_code == 422

    changed = await owner.put(
        "/api/v1/users/me",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert changed.status_code == 200
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    again = await login(client, "owner@example.com", "a brand new secret")
    assert (await again.get("/api/v1/users/me")).status_code == 200


async def test_unknown_fields_are_rejected(owner: Api) -> None:
    response = await owner.put("/api/v1/users/me", json={"role": "admin"})
    assert response.status_code == 422
