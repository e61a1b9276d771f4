"""One error hierarchy for the gateway, rendered as OpenAI-style error bodies."""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Rendered as OpenAI renders errors: ``{"error": {message, type, param, code}}``.

    ``details`` is ours (what was skipped and why, the models on offer).
    """

    status_code = 400
    code = "invalid_request"
    type = "invalid_request_error"

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.param = param

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
                "details": self.details,
            }
        }


class InvalidRequest(GatewayError):
    status_code = 400
    code = "invalid_request"


class UnknownModel(GatewayError):
    status_code = 404
    code = "model_not_found"


class UnknownVoice(GatewayError):
    status_code = 400
    code = "voice_not_found"


class AllBackendsFailed(GatewayError):
    """Every backend in the chain was skipped or failed; details list why."""

    status_code = 503
    code = "no_backend_available"
    type = "server_error"


class BackendError(Exception):
    """A backend could not serve a call; the gateway falls through to the next one."""


class BackendUnavailable(BackendError):
    """Not usable here: no key, no CUDA, weights missing."""


class OutOfMemory(BackendError):
    """The model does not fit the profile's memory budget (or the device ran out)."""
