"""Application errors and the one error envelope (ARCHITECTURE.md §5).

``{"success": false, "error": {"code", "message", "details", "traceId"}}``
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base for every error a service raises on purpose. ``code`` is a stable string."""

    status_code: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        if code is not None:
            self.code = code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    message = "Authentication is required."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message, code=code, details=details, headers={"WWW-Authenticate": "Bearer"}
        )


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "The resource was not found."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    message = "The request content type is not supported."


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_error"
    message = "The request is invalid."


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests. Try again later."

    def __init__(
        self,
        retry_after: int,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(
            message,
            details={"retryAfter": retry_after},
            headers={**(headers or {}), "Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is not ready."


def envelope(
    code: str, message: str, details: dict[str, Any] | None, trace_id: str
) -> dict[str, Any]:
    return {
        "success": False,
        "error": {"code": code, "message": message, "details": details or {}, "traceId": trace_id},
    }


def field_error(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A 422 for one field, shaped like request-validation errors."""
    return ValidationFailed(
        details={"fields": [{"field": field, "message": message, "code": code}]}
    )
