"""Google OAuth 2.0 for installed/web apps: authorization code + PKCE (S256) + `state`.

The token exchange, refresh and revocation go through google-auth's transport to the
endpoints named in the settings (Google's by default, a local fake in tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
from google.oauth2.credentials import Credentials

from backend.publishing.credentials import OAuthClientConfig, TokenSet
from backend.publishing.errors import AuthorizationRefused, NeedsReconnect, PublishingError
from backend.settings import Settings

SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/yt-analytics.readonly",
    "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
)
CALLBACK_PATH = "/oauth/youtube/callback"


def new_state() -> str:
    return secrets.token_urlsafe(32)


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def new_code_verifier() -> str:
    """RFC 7636: 43-128 characters from the unreserved set (86 here)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_uri(settings: Settings) -> str:
    return settings.oauth_redirect_base_url.rstrip("/") + CALLBACK_PATH


def authorization_url(
    settings: Settings, client: OAuthClientConfig, *, redirect: str, state: str, verifier: str
) -> str:
    query = {
        "client_id": client.client_id,
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
        "access_type": "offline",  # a refresh token
        "prompt": "consent",  # a refresh token every time, also on reconnect
        "include_granted_scopes": "true",
    }
    return f"{settings.google_oauth_auth_url}?{urllib.parse.urlencode(query)}"


def parse_pasted(answer: str) -> tuple[str, str | None]:
    """The code (and state, when there is one) from a pasted redirect URL or a bare code."""
    answer = answer.strip()
    if not answer:
        raise AuthorizationRefused("Nothing was pasted: paste the whole address Google sent you to")
    if "://" not in answer and "code=" not in answer:
        return answer, None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer).query or answer)
    if "error" in query:
        raise AuthorizationRefused(f"Google did not grant access: {query['error'][0]}")
    codes = query.get("code")
    if not codes:
        raise AuthorizationRefused("The pasted address has no `code`; paste the whole address")
    states = query.get("state")
    return codes[0], states[0] if states else None


def _post_form(
    transport: google.auth.transport.requests.Request, url: str, form: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    try:
        response = transport(
            url=url,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urllib.parse.urlencode(form).encode(),
        )
    except google.auth.exceptions.TransportError as exc:
        raise PublishingError(f"Google's token endpoint cannot be reached: {exc}") from exc
    raw = response.data.decode("utf-8", "replace") if response.data else ""
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        data = {"error": "invalid_response", "error_description": raw[:200]}
    return int(response.status), data if isinstance(data, dict) else {}


def _tokens_from(data: dict[str, Any], now: datetime) -> TokenSet:
    if not data.get("access_token"):
        raise AuthorizationRefused("Google's token answer has no access token")
    expires_in = data.get("expires_in")
    expiry = now + timedelta(seconds=int(expires_in)) if expires_in else None
    scope = data.get("scope")
    return TokenSet(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        expiry=expiry,
        scopes=str(scope).split() if scope else list(SCOPES),
    )


def exchange_code(
    settings: Settings,
    transport: google.auth.transport.requests.Request,
    client: OAuthClientConfig,
    *,
    code: str,
    verifier: str,
    redirect: str,
) -> TokenSet:
    """Authorization code + PKCE verifier → tokens (blocking: call it in a thread)."""
    status, data = _post_form(
        transport,
        settings.google_oauth_token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": redirect,
        },
    )
    if status != 200:
        error = data.get("error", f"HTTP {status}")
        description = data.get("error_description") or ""
        raise AuthorizationRefused(f"Google refused the code: {error} {description}".strip())
    tokens = _tokens_from(data, datetime.now(UTC))
    if not tokens.refresh_token:
        raise AuthorizationRefused(
            "Google gave no refresh token; remove the app's access at "
            "https://myaccount.google.com/permissions and connect again"
        )
    return tokens


def google_credentials(
    settings: Settings, client: OAuthClientConfig, tokens: TokenSet
) -> Credentials:
    expiry = tokens.expiry.astimezone(UTC).replace(tzinfo=None) if tokens.expiry else None
    return Credentials(
        token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_uri=settings.google_oauth_token_url,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=tokens.scopes or list(SCOPES),
        expiry=expiry,  # google-auth keeps naive UTC
    )


def tokens_of(credentials: Credentials) -> TokenSet:
    expiry = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
    return TokenSet(
        access_token=str(credentials.token),
        refresh_token=credentials.refresh_token,
        expiry=expiry,
        scopes=list(credentials.scopes or SCOPES),
    )


def is_invalid_grant(exc: google.auth.exceptions.RefreshError) -> bool:
    text = " ".join(str(a) for a in exc.args)
    return "invalid_grant" in text or "invalid_client" in text or "unauthorized_client" in text


def refresh(credentials: Credentials, transport: google.auth.transport.requests.Request) -> None:
    """Refresh the access token now (blocking). A dead grant becomes :class:`NeedsReconnect`."""
    try:
        credentials.refresh(transport)
    except google.auth.exceptions.RefreshError as exc:
        if is_invalid_grant(exc):
            raise NeedsReconnect(str(exc.args[0]) if exc.args else "invalid_grant") from exc
        raise PublishingError(f"Refreshing the YouTube token failed: {exc}") from exc
    except google.auth.exceptions.TransportError as exc:
        raise PublishingError(f"Google's token endpoint cannot be reached: {exc}") from exc


def revoke(
    settings: Settings, transport: google.auth.transport.requests.Request, token: str
) -> bool:
    """Revoke a grant at Google. False when Google already considers it dead (400)."""
    status, data = _post_form(transport, settings.google_oauth_revoke_url, {"token": token})
    if status == 200:
        return True
    if status == 400:
        return False
    error = data.get("error", "")
    raise PublishingError(f"Revoking the YouTube grant failed: HTTP {status} {error}".strip())
