"""JWT access tokens (short-lived, signed) and opaque refresh tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from backend.db.base import utcnow
from backend.errors import Unauthorized

ALGORITHM = "HS256"
ACCESS_TYPE = "access"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    jti: str
    issued_at: datetime
    expires_at: datetime


def create_access_token(
    user_id: uuid.UUID, role: str, secret: str, minutes: int, now: datetime | None = None
) -> tuple[str, datetime]:
    issued = now or utcnow()
    expires = issued + timedelta(minutes=minutes)
    payload = {
        "sub": str(user_id),
        "role": role,
        "type": ACCESS_TYPE,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires


def decode_access_token(token: str, secret: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token has expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Access token is invalid", code="token_invalid") from exc
    if payload.get("type") != ACCESS_TYPE:
        raise Unauthorized("Not an access token", code="token_invalid")
    try:
        user_id = uuid.UUID(payload["sub"])
    except (ValueError, TypeError) as exc:
        raise Unauthorized("Access token is invalid", code="token_invalid") from exc
    return AccessClaims(
        user_id=user_id,
        role=str(payload.get("role", "")),
        jti=str(payload.get("jti", "")),
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def denylist_key(jti: str) -> str:
    """Redis key marking a signed-out access token as revoked until it expires."""
    return f"ytempire:auth:denied:{jti}"
