"""One error hierarchy, rendered by one handler as ``{"error": {code, message, details}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """The one error shape, as the OpenAPI schema declares it."""

    error: ErrorInfo


_ERROR_STATUSES = {
    400: "Bad request: a malformed cursor, a JSON body nested too deep, a refused value",
    401: "Not signed in, or the token expired or was revoked",
    403: "Signed in, but not allowed (another owner's resource, admin only)",
    404: "No such resource (or it belongs to another owner)",
    409: "Conflicts with the current state (a limit, a status that does not allow it)",
    413: "The request body is larger than the configured maximum",
    422: "The request does not validate (field errors in details.errors)",
    429: "Too many requests (login throttling); see Retry-After",
    503: "The database or Redis is unreachable; see Retry-After",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERROR_STATUSES.items()
}
