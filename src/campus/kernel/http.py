"""HTTP plumbing shared by every context: the route class, middleware and error handlers."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi import params as fastapi_params
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campus.kernel.errors import (
    AppError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    envelope,
)
from campus.kernel.logging import get_logger

log = get_logger("campus.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_JSON_TYPES = frozenset({"application/json"})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
#: Query parameters every route tolerates (cache busters and the language switch).
_ALWAYS_ALLOWED_QUERY = frozenset({"lang"})

HTTP_REQUESTS = Counter(
    "campus_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "campus_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "")) or uuid.uuid4().hex


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in {"", "0"}
    return "transfer-encoding" in request.headers


class CampusRoute(APIRoute):
    """Adds two checks to every route before FastAPI parses it:

    * a body with the wrong content type is a 415 (JSON routes take JSON, form routes take forms);
    * an unknown query parameter is a 422, so filters and sorts are whitelisted by declaration.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_params = self.dependant.body_params
        form = any(isinstance(p.field_info, fastapi_params.Form) for p in body_params)
        accepted: frozenset[str] | None = None
        if body_params:
            accepted = _FORM_TYPES if form else _JSON_TYPES
        allowed_query = frozenset(_query_names(self.dependant) | _ALWAYS_ALLOWED_QUERY)

        async def campus_handler(request: Request) -> Response:
            if accepted is not None and _has_body(request):
                media = _media_type(request)
                if media not in accepted and not (
                    accepted is _JSON_TYPES
                    and media.startswith("application/")
                    and media.endswith("+json")
                ):
                    raise UnsupportedMediaType(
                        details={"accepted": sorted(accepted), "received": media[:100]}
                    )
            unknown = [key for key in request.query_params if key not in allowed_query]
            if unknown:
                raise ValidationFailed(
                    "Unknown query parameters.",
                    details={
                        "fields": [
                            {
                                "field": f"query.{key[:50]}",
                                "message": "Unknown query parameter.",
                                "code": "unknown_parameter",
                            }
                            for key in unknown[:20]
                        ],
                        "allowed": sorted(allowed_query),
                    },
                )
            return await handler(request)

        return campus_handler


def api_router(**kwargs: Any) -> APIRouter:
    """Every context builds its router with this, so all routes get ``CampusRoute``'s checks."""
    return APIRouter(route_class=CampusRoute, **kwargs)


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# --------------------------------------------------------------------------- error handlers


def _error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        envelope(code, message, details, request_id_of(request)),
        status_code=status,
        headers=headers,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return _error_response(
        request, exc.status_code, exc.code, exc.message, exc.details, exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = {
        404: "The resource was not found.",
        405: "The method is not allowed for this resource.",
        413: "The request body is too large.",
    }.get(exc.status_code, str(exc.detail) if isinstance(exc.detail, str) else "Request failed.")
    return _error_response(request, exc.status_code, code, message, None, dict(exc.headers or {}))


def _field_name(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return _error_response(
            request, 400, "malformed_json", "The request body is not valid JSON."
        )
    fields = [
        {
            "field": _field_name(err.get("loc", ())),
            "message": str(err.get("msg", "Invalid value."))[:300],
            "code": str(err.get("type", "invalid")),
        }
        for err in errors[:50]
    ]
    return _error_response(
        request, 422, "validation_error", "The request is invalid.", {"fields": fields}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


# --------------------------------------------------------------------------- middleware

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; frame-ancestors 'none'",
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_DOCS_PATHS = ("/docs", "/redoc")


class CampusMiddleware:
    """The outermost layer: request id, body limit, security headers, metrics, access log, and
    the last-resort 500 envelope (trace id only, never a stack trace)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts: bool = False) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        path: str = scope.get("path", "")
        status_holder = {"status": 500, "started": False}
        extra = [(b"x-request-id", request_id.encode())]
        extra += SECURITY_HEADERS
        extra.append(_DOCS_CSP if path.startswith(_DOCS_PATHS) else _API_CSP)
        if self.hsts:
            extra.append(_HSTS)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in existing
                ]
            await send(message)

        limit = self.max_body_bytes
        declared = headers.get(b"content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._send_error(
                    send_wrapper, request_id, PayloadTooLarge(details={"maxBytes": limit})
                )
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        # FastAPI re-raises HTTPException from body reading; anything else
                        # would become a 400.
                        raise FastAPIHTTPException(413, "The request body is too large.")
                return message

            await self.app(scope, limited_receive, send_wrapper)
        except Exception as exc:  # the last resort: never a traceback to the client
            if isinstance(exc, AppError) and not status_holder["started"]:
                await self._send_error(send_wrapper, request_id, exc)
            else:
                log.exception("unhandled_error", path=path, method=scope.get("method"))
                if not status_holder["started"]:
                    await self._send_envelope(
                        send_wrapper,
                        500,
                        envelope(
                            "internal_error",
                            "Something went wrong. Quote the trace id when reporting it.",
                            None,
                            request_id,
                        ),
                    )
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or ("unmatched" if path != "/" else "/")
            method = scope.get("method", "")
            status = status_holder["status"]
            HTTP_REQUESTS.labels(method, route_path, str(status)).inc()
            HTTP_LATENCY.labels(method, route_path).observe(elapsed)
            log.info(
                "request",
                method=method,
                path=path[:300],
                route=route_path,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )

    async def _send_error(self, send: Send, request_id: str, exc: AppError) -> None:
        await self._send_envelope(
            send,
            exc.status_code,
            envelope(exc.code, exc.message, exc.details, request_id),
            exc.headers,
        )

    @staticmethod
    async def _send_envelope(
        send: Send, status: int, body_obj: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        import json

        body = json.dumps(body_obj).encode()
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
