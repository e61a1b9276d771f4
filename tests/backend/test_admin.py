"""Admins manage users (limit, role, activity) over the API; first-user races; channel delete."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import User, UserRole, Video, VideoStatus
from tests.backend.conftest import PASSWORD, Api, login, register


async def _user_id(admin: Api, email: str) -> str:
    users = (await admin.get("/api/v1/users")).json()
    return next(u["id"] for u in users if u["email"] == email)


async def test_admin_raises_a_limit_and_the_member_can_use_it(owner: Api, other: Api) -> None:
    for i in range(5):
        await other.create_channel(name=f"Channel {i}")
    refused = await other.post("/api/v1/channels", json={"name": "Six", "niche": "x"})
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "Delete a channel to free a slot" in message
    assert "administrator to raise your limit" in message

    other_id = await _user_id(owner, other.email)
    raised = await owner.patch(f"/api/v1/users/{other_id}", json={"channel_limit": 7})
    assert raised.status_code == 200 and raised.json()["channel_limit"] == 7
    assert (
        await other.post("/api/v1/channels", json={"name": "Six", "niche": "x"})
    ).status_code == 201
    listed = (await other.get("/api/v1/channels")).json()
    assert listed["used"] == 6 and listed["limit"] == 7


async def test_members_cannot_change_users(owner: Api, other: Api) -> None:
    owner_id = await _user_id(owner, owner.email)
    other_id = await _user_id(owner, other.email)
    for target in (owner_id, other_id):
        for body in ({"channel_limit": 50}, {"role": "admin"}, {"is_active": False}):
            response = await other.patch(f"/api/v1/users/{target}", json=body)
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "admin_required"
    assert (await other.get(f"/api/v1/users/{owner_id}")).status_code == 403
    me = (await other.get("/api/v1/users/me")).json()
    assert me["role"] == "member" and me["channel_limit"] == 5


async def test_bad_admin_changes_are_refused(owner: Api, other: Api) -> None:
    other_id = await _user_id(owner, other.email)
    for body in ({"channel_limit": 0}, {"channel_limit": 101}, {"role": "root"}, {"email": "x"}):
        assert (await owner.patch(f"/api/v1/users/{other_id}", json=body)).status_code == 422
    missing = await owner.patch(f"/api/v1/users/{uuid.uuid4()}", json={"channel_limit": 3})
    assert missing.status_code == 404
    assert (await owner.patch("/api/v1/users/nope", json={"channel_limit": 3})).status_code == 404


async def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    owner: Api, other: Api
) -> None:
    owner_id = await _user_id(owner, owner.email)
    other_id = await _user_id(owner, other.email)
    for body in ({"role": "member"}, {"is_active": False}):
        response = await owner.patch(f"/api/v1/users/{owner_id}", json=body)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "last_admin"
        assert "last active administrator" in response.json()["error"]["message"]
    # with a second admin, the first may step down
    promoted = await owner.patch(f"/api/v1/users/{other_id}", json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert (await other.get("/api/v1/users")).status_code == 200  # the role counts at once
    stepped = await owner.patch(f"/api/v1/users/{owner_id}", json={"role": "member"})
    assert stepped.status_code == 200 and stepped.json()["role"] == "member"
    assert (await owner.get("/api/v1/users")).status_code == 403
    again = await other.patch(f"/api/v1/users/{other_id}", json={"is_active": False})
    assert again.status_code == 409


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    owner: Api, other: Api, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    owner_id = await _user_id(owner, owner.email)
    other_id = await _user_id(owner, other.email)
    await owner.patch(f"/api/v1/users/{other_id}", json={"role": "admin"})
    responses = await asyncio.gather(
        owner.patch(f"/api/v1/users/{other_id}", json={"role": "member"}),
        other.patch(f"/api/v1/users/{owner_id}", json={"is_active": False}),
    )
    codes = sorted(r.status_code for r in responses)
    # the second call either is refused as the last admin or, demoted first, is no admin
    assert codes[0] == 200 and codes[1] in (403, 409), [r.text for r in responses]
    async with sessions() as session:
        admins = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == UserRole.admin, User.is_active.is_(True))
        )
    assert admins == 1


async def test_a_deactivated_user_is_locked_out_at_once(
    owner: Api, other: Api, client: httpx.AsyncClient
) -> None:
    other_id = await _user_id(owner, other.email)
    assert (await other.get("/api/v1/users/me")).status_code == 200
    off = await owner.patch(f"/api/v1/users/{other_id}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await other.get("/api/v1/users/me")).status_code == 401  # the old access token
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other.tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    signed_in = await client.post(
        "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 401
    # reactivated, they sign in again; the old refresh token stays revoked
    assert (
        await owner.patch(f"/api/v1/users/{other_id}", json={"is_active": True})
    ).status_code == 200
    back = await login(client, other.email)
    assert (await back.get("/api/v1/users/me")).status_code == 200
    stale = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other.tokens["refresh_token"]}
    )
    assert stale.status_code == 401


async def test_concurrent_first_registrations_create_one_admin(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    responses = await asyncio.gather(*(register(client, f"first{i}@example.com") for i in range(4)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 403, 403, 403], [r.text for r in responses]
    async with sessions() as session:
        users = list(await session.scalars(select(User)))
    assert len(users) == 1 and users[0].role == UserRole.admin


async def test_delete_preview_says_what_happens_to_the_videos(
    owner: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    statuses = [
        VideoStatus.queued,
        VideoStatus.running,
        VideoStatus.needs_review,
        VideoStatus.ready,
        VideoStatus.failed,
    ]
    async with unit_of_work(sessions) as session:
        for status in statuses:
            session.add(Video(id=uuid.uuid4(), channel_id=uuid.UUID(channel["id"]), status=status))
    preview = await owner.get(f"/api/v1/channels/{channel['id']}/delete-preview")
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["videos"], body["cancelled"], body["running"], body["kept"]) == (5, 3, 1, 2)
    text = " ".join(body["summary"])
    assert "The channel has 5 videos." in text
    assert "3 videos not finished yet" in text and "will be cancelled" in text
    assert "2 videos already finished or stopped stay" in text
    assert "media stays on disk" in text

    assert (await owner.delete(f"/api/v1/channels/{channel['id']}")).status_code == 204
    async with sessions() as session:
        after = sorted(
            v.status.value
            for v in await session.scalars(
                select(Video).where(Video.channel_id == uuid.UUID(channel["id"]))
            )
        )
    assert after == ["cancelled", "cancelled", "cancelled", "failed", "ready"]
