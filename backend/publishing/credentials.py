"""The owner's OAuth client and a channel's tokens, as values (encrypted only when stored)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.publishing.errors import InvalidClientFile


@dataclass(frozen=True)
class OAuthClientConfig:
    client_id: str
    client_secret: str
    project_id: str
    redirect_uris: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # never print the secret
        return f"OAuthClientConfig(client_id={self.client_id!r}, project_id={self.project_id!r})"


def parse_client_file(text: str) -> OAuthClientConfig:
    """Read Google Cloud's ``client_secret.json`` (a "web" or "installed" client)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidClientFile(
            f"The client file is not JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidClientFile("The client file must be a JSON object")
    section = data.get("web") or data.get("installed")
    if not isinstance(section, dict):
        raise InvalidClientFile(
            'The client file has no "web" or "installed" section; download it from Google Cloud '
            "Console > APIs & Services > Credentials > your OAuth 2.0 client > Download JSON"
        )
    missing = [k for k in ("client_id", "client_secret") if not section.get(k)]
    if missing:
        raise InvalidClientFile(f"The client file lacks {', '.join(missing)}")
    client_id = str(section["client_id"])
    # The project number is the prefix of the client id; Google counts quota per project.
    project = str(section.get("project_id") or client_id.split("-", 1)[0])
    uris = section.get("redirect_uris") or []
    return OAuthClientConfig(
        client_id=client_id,
        client_secret=str(section["client_secret"]),
        project_id=project,
        redirect_uris=[str(u) for u in uris],
    )


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    expiry: datetime | None  # aware UTC
    scopes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"TokenSet(expiry={self.expiry!r}, scopes={self.scopes!r})"

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expiry": self.expiry.isoformat() if self.expiry else None,
                "scopes": self.scopes,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data: dict[str, Any] = json.loads(text)
        expiry = datetime.fromisoformat(data["expiry"]) if data.get("expiry") else None
        if expiry is not None and expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expiry=expiry,
            scopes=list(data.get("scopes") or []),
        )
