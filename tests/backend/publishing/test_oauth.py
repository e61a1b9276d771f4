"""OAuth against the fake Google: state, PKCE, tokens encrypted at rest, refresh, revocation."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import Channel, ConnectionStatus
from backend.publishing import clients, oauth, repository, service
from backend.publishing.credentials import TokenSet
from backend.publishing.errors import AuthorizationRefused, NeedsReconnect, NoOAuthClient
from backend.publishing.publish import publish
from backend.settings import Settings
from tests.backend.publishing.conftest import CHUNK, World, connect, metadata
from tests.fakes.youtube_server import CLIENT_SECRET, FakeYouTube

pytestmark = pytest.mark.timeout(60)


def consent(settings: Settings, url: str) -> str:
    answer = requests.get(
        url, allow_redirects=False, verify=str(settings.google_ca_certs), timeout=10
    )
    assert answer.status_code == 302
    return str(answer.headers["Location"])


async def test_without_a_client_connecting_says_what_to_do(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    world: World,
) -> None:
    async with sessions() as session:
        with pytest.raises(NoOAuthClient, match="ytempire youtube client set --file"):
            await service.begin_connect(session, pub_settings, world.channel_id)


async def test_a_state_mismatch_is_refused_before_any_code_exchange(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    world: World,
    client_set: None,
) -> None:
    async with unit_of_work(sessions) as session:
        start = await service.begin_connect(session, pub_settings, world.channel_id)
    code, state = oauth.parse_pasted(consent(pub_settings, start.url))
    assert state == start.state
    async with sessions() as session:
        with pytest.raises(AuthorizationRefused, match="state mismatch"):
            await service.complete_connect(session, pub_settings, code=code, state="forged")
        with pytest.raises(AuthorizationRefused, match="no `state`"):
            await service.complete_connect(session, pub_settings, code=code, state=None)
    assert fake.token_requests == []  # the code never went to Google
    # the real answer still works, once
    async with unit_of_work(sessions) as session:
        await service.complete_connect(session, pub_settings, code=code, state=state)
    async with sessions() as session:
        with pytest.raises(AuthorizationRefused):
            await service.complete_connect(session, pub_settings, code=code, state=state)


async def test_the_pkce_verifier_is_sent_and_checked(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    world: World,
    client_set: None,
) -> None:
    async with unit_of_work(sessions) as session:
        start = await service.begin_connect(session, pub_settings, world.channel_id)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(start.url).query)
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    assert set(query["scope"][0].split()) == set(oauth.SCOPES)
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/oauth/youtube/callback"]
    code, state = oauth.parse_pasted(consent(pub_settings, start.url))
    async with unit_of_work(sessions) as session:
        row = await service.complete_connect(session, pub_settings, code=code, state=state)
    (sent,) = fake.token_requests
    digest = hashlib.sha256(sent["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"][0]
    assert row.youtube_channel_id == fake.channel["id"]
    assert row.youtube_channel_title == fake.channel["title"]

    # a wrong verifier is refused by the fake, the way Google refuses it
    async with unit_of_work(sessions) as session:
        start = await service.begin_connect(session, pub_settings, world.channel_id)
    code, _ = oauth.parse_pasted(consent(pub_settings, start.url))
    async with sessions() as session:
        client = await service.get_client(session, pub_settings)
    with pytest.raises(AuthorizationRefused, match="Invalid code verifier"):
        oauth.exchange_code(
            pub_settings,
            clients.token_transport(pub_settings),
            client,
            code=code,
            verifier=oauth.new_code_verifier(),
            redirect=start.redirect_uri,
        )


async def test_tokens_and_the_client_secret_are_not_readable_in_the_database(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    async with sessions() as session:
        rows = (await session.execute(text("SELECT * FROM youtube_credentials"))).all()
        clients_rows = (await session.execute(text("SELECT * FROM youtube_oauth_clients"))).all()
        pending = (await session.execute(text("SELECT * FROM youtube_authorizations"))).all()
    raw = " ".join(str(v) for row in [*rows, *clients_rows, *pending] for v in row)
    assert len(rows) == 1 and fake.refresh_tokens and fake.access_tokens
    for token in [*fake.refresh_tokens, *fake.access_tokens, CLIENT_SECRET]:
        assert token not in raw
    tokens = TokenSet.from_json(
        service.secret_box(pub_settings).decrypt(rows[0]._mapping["tokens_encrypted"])
    )
    assert tokens.refresh_token in fake.refresh_tokens


async def _expire_stored_token(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, channel_id: object
) -> TokenSet:
    box = service.secret_box(settings)
    async with unit_of_work(sessions) as session:
        row = await repository.get_credential(session, channel_id)  # type: ignore[arg-type]
        assert row is not None
        tokens = TokenSet.from_json(box.decrypt(row.tokens_encrypted))
        tokens.expiry = datetime.now(UTC) - timedelta(minutes=1)
        row.tokens_encrypted = box.encrypt(tokens.to_json())
    return tokens


async def test_an_expired_access_token_is_refreshed_automatically_and_kept(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    old = await _expire_stored_token(sessions, pub_settings, connected.channel_id)
    fake.expire_access_tokens()  # the fake agrees it is dead
    outcome = await publish(
        sessions,
        pub_settings,
        video_id=connected.video_id,
        channel_id=connected.channel_id,
        video_file=connected.video_file,
        metadata=metadata(),
        chunk_bytes=CHUNK,
    )
    assert outcome.youtube_video_id in fake.videos
    assert [r["grant_type"] for r in fake.token_requests] == ["authorization_code", "refresh_token"]
    async with sessions() as session:
        row = await repository.get_credential(session, connected.channel_id)
    assert row is not None and row.refreshed_at is not None
    new = TokenSet.from_json(service.secret_box(pub_settings).decrypt(row.tokens_encrypted))
    assert new.access_token != old.access_token and new.access_token in fake.access_tokens
    assert new.refresh_token == old.refresh_token


async def test_a_revoked_grant_is_needs_reconnect_and_reconnecting_lets_the_upload_go_on(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.revoke_grant()  # the owner removed the app in their Google account
    await _expire_stored_token(sessions, pub_settings, connected.channel_id)
    with pytest.raises(NeedsReconnect) as caught:
        await publish(
            sessions,
            pub_settings,
            video_id=connected.video_id,
            channel_id=connected.channel_id,
            video_file=connected.video_file,
            metadata=metadata(),
            chunk_bytes=CHUNK,
        )
    assert "invalid_grant" in caught.value.reason and caught.value.code == "youtube_needs_reconnect"
    async with sessions() as session:
        row = await repository.get_credential(session, connected.channel_id)
    assert row is not None and row.status is ConnectionStatus.needs_reconnect
    assert not fake.sessions  # nothing was uploaded
    # held until reconnected: a second try says so without calling Google
    with pytest.raises(NeedsReconnect):
        await publish(
            sessions,
            pub_settings,
            video_id=connected.video_id,
            channel_id=connected.channel_id,
            video_file=connected.video_file,
            metadata=metadata(),
            chunk_bytes=CHUNK,
        )
    await connect(sessions, pub_settings, connected.channel_id)
    outcome = await publish(
        sessions,
        pub_settings,
        video_id=connected.video_id,
        channel_id=connected.channel_id,
        video_file=connected.video_file,
        metadata=metadata(),
        chunk_bytes=CHUNK,
    )
    assert outcome.youtube_video_id in fake.videos


async def test_a_grant_revoked_mid_upload_is_needs_reconnect(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.fail_next("chunk", 401, "authError", skip=1)
    fake.revoke_grant()
    fake.grant()  # (some other grant keeps the fake's token table non-empty)
    with pytest.raises(NeedsReconnect):
        await publish(
            sessions,
            pub_settings,
            video_id=connected.video_id,
            channel_id=connected.channel_id,
            video_file=connected.video_file,
            metadata=metadata(),
            chunk_bytes=CHUNK,
        )
    async with sessions() as session:
        row = await repository.get_credential(session, connected.channel_id)
    assert row is not None and row.status is ConnectionStatus.needs_reconnect


async def test_disconnect_revokes_at_google_and_wipes_the_grant(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    async with sessions() as session:
        row = await repository.get_credential(session, connected.channel_id)
        assert row is not None
        refresh = TokenSet.from_json(
            service.secret_box(pub_settings).decrypt(row.tokens_encrypted)
        ).refresh_token
    async with unit_of_work(sessions) as session:
        assert await service.disconnect(session, pub_settings, connected.channel_id)
    assert refresh is not None
    assert fake.revoked == [refresh] and fake.refresh_tokens[refresh]["revoked"]
    async with sessions() as session:
        assert await repository.get_credential(session, connected.channel_id) is None
        count = (await session.execute(text("SELECT count(*) FROM youtube_credentials"))).scalar()
        channel = await session.get(Channel, connected.channel_id)
    assert count == 0 and channel is not None and channel.youtube_channel_id is None
    async with unit_of_work(sessions) as session:
        assert not await service.disconnect(session, pub_settings, connected.channel_id)


def test_a_pasted_redirect_or_code_is_understood() -> None:
    url = "http://127.0.0.1:8000/oauth/youtube/callback?state=abc&code=4%2Fxyz&scope=a"
    assert oauth.parse_pasted(url) == ("4/xyz", "abc")
    assert oauth.parse_pasted("  4/bare-code ") == ("4/bare-code", None)
    with pytest.raises(AuthorizationRefused, match="access_denied"):
        oauth.parse_pasted("http://x/cb?error=access_denied&state=s")
    with pytest.raises(AuthorizationRefused):
        oauth.parse_pasted("   ")
