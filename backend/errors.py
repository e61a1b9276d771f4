"""One error hierarchy, rendered by one handler as ``{"error": {code, message, details}}``."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class RefreshTokenReused(Unauthorized):
    """A rotated refresh token came back: its family is revoked, and that must be kept."""

    def __init__(self) -> None:
        super().__init__("Refresh token was already used or revoked", code="refresh_reused")


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"

    def __init__(self, resource: str, resource_id: object | None = None) -> None:
        details = {"resource": resource}
        if resource_id is not None:
            details["id"] = str(resource_id)
        super().__init__(f"{resource} not found", code=f"{resource}_not_found", details=details)


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
