"""HTTP plumbing shared by every context: the route class, middleware and error handlers."""

from __future__ import annotations

import logging
import re
import time
import types
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextvars import ContextVar
from typing import Annotated, Any, Union, cast, get_args, get_origin

import fastapi.routing
import orjson
import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi import params as fastapi_params
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.utils import create_model_field
from prometheus_client import Counter, Histogram
from pydantic import BaseModel
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campus.kernel.auth import bearer_token, require_principal
from campus.kernel.errors import (
    AppError,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    envelope,
)
from campus.kernel.logging import get_logger
from campus.kernel.schemas import ErrorEnvelope


def _effective_route_context_var() -> ContextVar[Any] | None:
    """FastAPI >= 0.16x composes included routes lazily ("effective route contexts") and names
    the one being built in this context variable; older versions copy routes on include."""
    var = getattr(fastapi.routing, "_effective_route_context_var", None)
    return var if isinstance(var, ContextVar) else None


_EFFECTIVE_ROUTE_CONTEXT = _effective_route_context_var()

log = get_logger("campus.http")

#: Accepted incoming request ids (anything else is replaced). Checked with ``fullmatch``: ``$``
#: alone would let a trailing newline through.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_JSON_TYPES = frozenset({"application/json"})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
#: Query parameters every route tolerates (cache busters and the language switch).
_ALWAYS_ALLOWED_QUERY = frozenset({"lang"})

#: Scope key holding the body limit, so a 413 raised while streaming can report it.
MAX_BODY_SCOPE_KEY = "campus.max_body_bytes"
#: Room for the multipart framing around a file of exactly ``upload_max_bytes``.
MULTIPART_SLACK = 64 * 1024

HTTP_REQUESTS = Counter(
    "campus_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "campus_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
#: Metric labels are bounded: a client-chosen method name must not create new time series.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

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


class CampusJSONResponse(JSONResponse):
    """Starlette's ``JSONResponse`` rendered by orjson: the same compact UTF-8 JSON, several
    times faster. Content orjson refuses (an integer beyond 64 bits) goes through ``json`` as
    before. Error envelopes and the response classes built on it use it; a route with a
    response model and no response class of its own keeps FastAPI's serialisation, where
    pydantic-core writes the JSON bytes itself (faster still: no Python objects in between)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return super().render(content)


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "")) or uuid.uuid4().hex


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in {"", "0"}
    return "transfer-encoding" in request.headers


#: Bodies a route that takes none still tolerates: nothing, or an empty JSON object.
_EMPTY_BODIES = frozenset({b"", b"{}"})
_MALFORMED_BODY_RESPONSE = {
    "model": ErrorEnvelope,
    "description": "Malformed request body (not valid JSON: code `malformed_json`)",
}


def _requires_principal(dependant: Any) -> bool:
    return any(
        sub.call is require_principal or _requires_principal(sub) for sub in dependant.dependencies
    )


class CampusRoute(APIRoute):
    """Adds these checks to every route before FastAPI parses the request:

    * a body with the wrong content type is a 415 (JSON routes take JSON, form routes take forms);
    * a body sent to a route that declares none is a 422 (``body_not_allowed``): it is never
      silently ignored (nor could it be applied); an empty body or ``{}`` is tolerated;
    * a route that needs a signed-in caller answers an anonymous call with 401 before its body
      is read, so a malformed body does not tell anyone more than "sign in";
    * an unknown query parameter is a 422, so filters and sorts are whitelisted by declaration;
    * a query parameter given twice is a 422 unless it is declared as a list (a repeated
      scalar is never silently reduced to one of its values).

    Every route with a JSON body documents the 400 ``malformed_json`` answer.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        body = self.body_field is not None and not any(
            isinstance(p.field_info, fastapi_params.Form) for p in self.dependant.body_params
        )
        if body and 400 not in self.responses and "400" not in self.responses:
            # Effective route contexts (inclusions) are built later from ``self.responses``.
            self.responses = {400: _MALFORMED_BODY_RESPONSE, **self.responses}
            self.response_fields[400] = create_model_field(
                name=f"Response_400_{self.unique_id}", type_=ErrorEnvelope, mode="serialization"
            )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # When FastAPI builds the handler for an inclusion of this route, the inclusion's
        # context (with its prefix and router-level dependencies) is the one that counts.
        effective = _EFFECTIVE_ROUTE_CONTEXT.get() if _EFFECTIVE_ROUTE_CONTEXT else None
        source: Any = self
        if effective is not None and getattr(effective, "original_route", None) is self:
            source = effective
        dependant = source.dependant or self.dependant
        body_params = dependant.body_params
        form = any(isinstance(p.field_info, fastapi_params.Form) for p in body_params)
        accepted: frozenset[str] | None = None
        if body_params:
            accepted = _FORM_TYPES if form else _JSON_TYPES
        allowed_query = frozenset(_query_names(dependant) | _ALWAYS_ALLOWED_QUERY)
        repeatable_query = frozenset(_query_names(dependant, lists_only=True))
        authenticate_first = bool(body_params) and _requires_principal(dependant)

        async def campus_handler(request: Request) -> Response:
            if authenticate_first and bearer_token(request) is None:
                raise Unauthorized()
            if accepted is None and _has_body(request):
                if (await request.body()).strip() not in _EMPTY_BODIES:
                    raise ValidationFailed(
                        "This operation takes no request body.",
                        details={
                            "fields": [
                                {
                                    "field": "body",
                                    "message": "This operation takes no request body.",
                                    "code": "body_not_allowed",
                                }
                            ]
                        },
                    )
            elif accepted is not None and _has_body(request):
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
            query = request.query_params
            if len(query) != len(items := query.multi_items()):
                seen: set[str] = set()
                repeated = []
                for key, _ in items:
                    if key in seen and key not in repeatable_query and key not in repeated:
                        repeated.append(key)
                    seen.add(key)
                if repeated:
                    raise ValidationFailed(
                        "Query parameters given more than once.",
                        details={
                            "fields": [
                                {
                                    "field": f"query.{key[:50]}",
                                    "message": "Give this query parameter once.",
                                    "code": "repeated_parameter",
                                }
                                for key in repeated[:20]
                            ]
                        },
                    )
            return await handler(request)

        return campus_handler


class RawJsonBodyRoute(CampusRoute):
    """A route whose handler reads the raw body itself (a signed webhook: the signature covers
    the exact bytes, so nothing may parse them first). FastAPI parses nothing; Campus checks
    that the body is JSON (415 otherwise) and that no query parameter is sent (422). Declare
    the body with ``openapi_extra=RAW_JSON_BODY``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = APIRoute.get_route_handler(self)

        async def raw_body_handler(request: Request) -> Response:
            media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media != "application/json":
                raise UnsupportedMediaType(
                    details={"accepted": ["application/json"], "received": media[:100]}
                )
            if request.query_params:
                raise ValidationFailed("Unknown query parameters.")
            return await handler(request)

        return raw_body_handler


#: The OpenAPI request body of a ``RawJsonBodyRoute``: a JSON object, exactly as it was signed.
RAW_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The provider's event, exactly as it signed it.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


# FastAPI matches a request against every route in turn, nested routers included, and does it
# twice (once to choose, once to dispatch): a route near the end of a ~200-route table paid
# half a millisecond just to be found. ``CampusRouter`` lets a whole included router answer
# "no match" from the literal beginnings of its routes' paths, and keeps the full match it
# found in a branch so the dispatch does not scan the branch again. It relies on FastAPI's
# private included-router scope key and branch class; if they ever move, it quietly falls
# back to the plain scans.
_included_router_of: Callable[[Scope], Any] | None = getattr(
    fastapi.routing, "_get_scope_included_router", None
)
_IncludedRouter: type | None = getattr(fastapi.routing, "_IncludedRouter", None)
_PREFIXES_ATTRIBUTE = "_campus_literal_prefixes"


def _literal_prefixes(included: Any, version: int) -> tuple[str, ...] | None:
    """The literal beginnings (up to the first path parameter) of every route reachable through
    ``included`` (an included-router branch), cached on it per ``_routes_stamp``. ``None`` when a
    route has no plain path (a frontend route, a low-priority catch-all): then nothing is
    skipped. Read from the routers' own route tables and include prefixes, so a branch that
    never matches is never built (FastAPI builds a branch's handlers, ~10 ms per route, on the
    first request that scans it)."""
    cached = included.__dict__.get(_PREFIXES_ATTRIBUTE)
    if cached is not None and cached[0] == version:
        return cast(tuple[str, ...] | None, cached[1])
    prefixes: set[str] = set()
    plain = _collect_literal_prefixes(
        included.original_router, included.include_context.prefix, prefixes
    )
    result = tuple(sorted(prefixes)) if plain else None
    included.__dict__[_PREFIXES_ATTRIBUTE] = (version, result)
    return result


def _collect_literal_prefixes(router: Any, prefix: str, into: set[str]) -> bool:
    """Adds the literal beginnings of ``router``'s routes (under ``prefix``) to ``into``;
    ``False`` when one of them has no plain path."""
    if getattr(router, "_low_priority_routes", None):
        return False
    for route in router.routes:
        if _IncludedRouter is not None and isinstance(route, _IncludedRouter):
            branch: Any = route
            nested = prefix + branch.include_context.prefix
            if not _collect_literal_prefixes(branch.original_router, nested, into):
                return False
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str) or not (prefix + path).startswith("/"):
            return False
        into.add((prefix + path).split("{", 1)[0])
    return True


#: Scope key where ``CampusRouter.matches`` keeps the full match it found in an included
#: router (by the branch's id: the branch, the path, the match), for the dispatch to reuse.
_MATCH_MEMO = "campus.included_matches"


def _reuse_full_match(scan: Callable[[Any, Scope], Any]) -> Callable[[Any, Scope], Any]:
    """Wraps ``_IncludedRouter._match`` (the scan of a branch's routes): when the same request,
    on the same path, already found its full match in this branch (while choosing it), the
    dispatch takes that match instead of scanning the branch again. Anything else scans."""

    def _match(self: Any, scope: Scope) -> Any:
        memo = scope.get(_MATCH_MEMO)
        if memo:
            found = memo.pop(id(self), None)
            if found is not None and found[0] is self and found[1] == scope.get("path"):
                return found[2]
        return scan(self, scope)

    return _match


_BRANCH: Any = _IncludedRouter
_MEMO_READY = _BRANCH is not None and callable(getattr(_BRANCH, "_match", None))
if _MEMO_READY and not getattr(_BRANCH._match, "_campus_reuse", False):
    _wrapped: Any = _reuse_full_match(_BRANCH._match)
    _wrapped._campus_reuse = True
    _BRANCH._match = _wrapped


# FastAPI asks a router for its "routes version" (the sum of its own and every nested router's
# change counters, walked recursively) each time a branch is matched: for a request whose route
# sits behind twenty included routers, that walk was ~700 ``isinstance`` calls and more than
# half of the reference request's routing time. Every change to a router's routes goes through
# ``_mark_routes_changed``, which also bumps one process-wide generation here; a router keeps
# its version until the generation moves, so the value is exactly what the walk returns.
_routes_generation = [0]
_MARK = getattr(APIRouter, "_mark_routes_changed", None)
_VERSION_READY = callable(_MARK) and callable(getattr(APIRouter, "_get_routes_version", None))
if _VERSION_READY and not getattr(_MARK, "_campus_generation", False):

    def _mark_routes_changed(self: Any) -> None:
        _routes_generation[0] += 1
        cast(Callable[[Any], None], _MARK)(self)

    _walk = cast(Callable[..., int], APIRouter._get_routes_version)

    def _get_routes_version(self: Any, seen: set[int] | None = None) -> int:
        if seen is not None:  # inside another router's walk: FastAPI's own
            return _walk(self, seen)
        generation = _routes_generation[0]
        cached = self.__dict__.get("_campus_routes_version")
        if cached is not None and cached[0] == generation:
            return cast(int, cached[1])
        version = _walk(self)
        self.__dict__["_campus_routes_version"] = (generation, version)
        return version

    setattr(_mark_routes_changed, "_campus_generation", True)  # noqa: B010
    setattr(APIRouter, "_mark_routes_changed", _mark_routes_changed)  # noqa: B010
    setattr(APIRouter, "_get_routes_version", _get_routes_version)  # noqa: B010


def _routes_stamp(router: Any) -> int:
    """Moves whenever ``router``'s routes (or a nested router's) may have changed."""
    return _routes_generation[0] if _VERSION_READY else int(router._get_routes_version())


def _skip_branches_that_cannot_match(
    branch_matches: Callable[[Any, Scope], tuple[Match, Scope]],
) -> Callable[[Any, Scope], tuple[Match, Scope]]:
    """Wraps ``_IncludedRouter.matches``: a branch of a ``CampusRouter`` none of whose routes
    begins like the path answers "no match" at once, before FastAPI records the branch in the
    scope (and restores it) and asks the router (the same answer ``CampusRouter.matches``
    gives, one call and two scope writes earlier)."""

    def matches(self: Any, scope: Scope) -> tuple[Match, Scope]:
        if isinstance(self.original_router, CampusRouter):
            prefixes = _literal_prefixes(self, _routes_stamp(self.original_router))
            if prefixes is not None and not get_route_path(scope).startswith(prefixes):
                return Match.NONE, {}
        return branch_matches(self, scope)

    return matches


class CampusRouter(APIRouter):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if _included_router_of is not None and _IncludedRouter is not None:
            included = _included_router_of(scope)
            if (
                isinstance(included, _IncludedRouter)
                and getattr(included, "original_router", None) is self
            ):
                prefixes = _literal_prefixes(included, _routes_stamp(self))
                if prefixes is not None and not get_route_path(scope).startswith(prefixes):
                    return Match.NONE, {}
                if _MEMO_READY:
                    # What ``APIRouter.matches`` does, keeping a full match for the dispatch.
                    found: Any = cast(Any, included)._match(scope)
                    if found[0] == Match.FULL:
                        memo = scope.setdefault(_MATCH_MEMO, {})
                        memo[id(included)] = (included, scope.get("path"), found)
                    return found[0], found[1]
        return super().matches(scope)


if (
    _VERSION_READY
    and _BRANCH is not None
    and callable(getattr(_BRANCH, "matches", None))
    and not getattr(_BRANCH.matches, "_campus_skip", False)
):
    _branch_matches: Any = _skip_branches_that_cannot_match(_BRANCH.matches)
    _branch_matches._campus_skip = True
    _BRANCH.matches = _branch_matches


def api_router(**kwargs: Any) -> APIRouter:
    """Every context builds its router with this, so all routes get ``CampusRoute``'s checks
    (and whole routers are skipped quickly when no route of theirs can match)."""
    return CampusRouter(route_class=CampusRoute, **kwargs)


def operation_id(route: APIRoute) -> str:
    """The OpenAPI ``operationId`` of a route: its first tag and handler name in camelCase
    (``assignmentsAddResource``). Generated clients name their methods (and FastAPI its form
    body schemas, ``Body_<operationId>``) after it; the default spelled out the path
    (``add_resource_api_v1_assignments__assignment_id__resources_post``)."""
    tag = route.tags[0] if route.tags else "campus"
    words = [word for word in re.split(r"[^A-Za-z0-9]+", f"{tag} {route.name}") if word]
    return words[0].lower() + "".join(word[:1].upper() + word[1:] for word in words[1:])


def _is_list(annotation: Any) -> bool:
    """Whether a query parameter's annotation takes several values (``list[str] | None``)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        return any(_is_list(arg) for arg in get_args(annotation))
    return (origin or annotation) in (list, tuple, set, frozenset)


def _query_names(dependant: Any, *, lists_only: bool = False) -> set[str]:
    """The query parameters ``dependant`` declares (with ``lists_only``: those declared as
    lists, which may be given more than once)."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            # A query parameter model (``Annotated[Filters, Query()]``): its fields are the names.
            for name, info in model.model_fields.items():
                if not lists_only or _is_list(info.annotation):
                    names.add(info.alias or name)
        elif not lists_only or _is_list(model):
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub, lists_only=lists_only)
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
    return CampusJSONResponse(
        envelope(code, message, details, request_id_of(request)),
        status_code=status,
        headers=headers,
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return _error_response(
        request, exc.status_code, exc.code, exc.message, exc.details, exc.headers
    )


def route_template(scope: Scope) -> str | None:
    """The matched route's path template with every include prefix (``/api/v1/users/{id}``).

    FastAPI puts the original ``APIRoute`` in ``scope["route"]``, whose path lacks the prefixes
    given to ``include_router``; the effective route context has the full one. An answer given
    before routing (``PreRouteMiddleware``) names the route it stands for in the scope.
    """
    answered = scope.get(ROUTE_TEMPLATE_KEY)
    if answered is not None:
        return str(answered)
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        context = fastapi_scope.get("effective_route_context")
        path = getattr(context, "path_format", None) or getattr(context, "path", None)
        if isinstance(path, str) and path:
            return path
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else None


def _allowed_methods(request: Request) -> set[str]:
    """Every method any route on this path accepts (Starlette reports only the first route's)."""
    methods: set[str] = set()
    routes = getattr(request.app, "routes", [])
    for context in iter_route_contexts(routes):
        route_methods = context.methods
        if not route_methods:
            continue
        match, _ = context.matches(dict(request.scope))
        if match in (Match.FULL, Match.PARTIAL):
            methods |= set(route_methods)
    return methods


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = {
        404: "The resource was not found.",
        405: "The method is not allowed for this resource.",
        413: "The request body is too large.",
    }.get(exc.status_code, str(exc.detail) if isinstance(exc.detail, str) else "Request failed.")
    headers = dict(exc.headers or {})
    details: dict[str, Any] | None = None
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
            details = {"allowed": sorted(allowed)}
    elif exc.status_code == 413 and MAX_BODY_SCOPE_KEY in request.scope:
        details = {"maxBytes": request.scope[MAX_BODY_SCOPE_KEY]}
    return _error_response(request, exc.status_code, code, message, details, headers)


def _field_name(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _methods_accepting_path(request: Request) -> set[str]:
    """Every method whose route on this path also accepts the path's *values*: ``GET
    /courses/{slug}`` takes a slug where ``PATCH /courses/{course_id}`` takes only an id."""
    methods: set[str] = set()
    for context in iter_route_contexts(getattr(request.app, "routes", [])):
        route_methods = context.methods
        if not route_methods:
            continue
        match, child = context.matches(dict(request.scope))
        if match not in (Match.FULL, Match.PARTIAL):
            continue
        values = child.get("path_params", {})
        dependant = getattr(context, "dependant", None)
        fields = dependant.path_params if dependant is not None else []
        if all(not f.validate(values.get(f.alias), {}, loc=("path",))[1] for f in fields):
            methods |= set(route_methods)
    return methods


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return _error_response(
            request, 400, "malformed_json", "The request body is not valid JSON."
        )
    if any(tuple(err.get("loc", ()))[:1] == ("path",) for err in errors):
        # The path names another route's resource (a slug where this method takes an id):
        # the method is what is wrong, as Starlette would say had the paths differed.
        allowed = _methods_accepting_path(request)
        if allowed and request.method not in allowed:
            return _error_response(
                request,
                405,
                "method_not_allowed",
                "The method is not allowed for this resource.",
                {"allowed": sorted(allowed)},
                {"Allow": ", ".join(sorted(allowed))},
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

#: Scope key where a pre-route responder names the route template its answer stands for (the
#: metrics label and the access log's ``route``): no route was matched to say it.
ROUTE_TEMPLATE_KEY = "campus.route_template"
#: ``app.state`` attribute holding the pre-route responders (``add_pre_route``).
_PRE_ROUTE_STATE = "pre_route_responders"

#: Answers a request before routing and returns True, or returns False (having sent nothing)
#: to let the router handle it. It must never raise: a failure is a False.
PreRouteResponder = Callable[[Scope, Receive, Send], Awaitable[bool]]


def add_pre_route(app: Any, responder: PreRouteResponder) -> None:
    """Let ``responder`` answer this app's requests before routing, from the next request on
    (idempotent). A context registers one when it has answers that need no route, no
    dependency and no validation: a public page already in the response cache."""
    responders: list[PreRouteResponder] | None = getattr(app.state, _PRE_ROUTE_STATE, None)
    if responders is not None and responder not in responders:
        responders.append(responder)


class PreRouteMiddleware:
    """The innermost middleware: asks each registered responder (``add_pre_route``) to answer
    the request before the router sees it. Everything outside (request id, body limit, security
    headers, CORS, metrics, the access log, the last-resort error envelope) applies to its
    answers exactly as to a routed one; what it skips is route matching, dependency resolution
    (the session, the principal) and validation. With no responder it costs one attribute
    lookup per request."""

    def __init__(self, app: ASGIApp, *, responders: list[PreRouteResponder]) -> None:
        self.app = app
        self.responders = responders

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.responders and scope["type"] == "http":
            for responder in self.responders:
                if await responder(scope, receive, send):
                    return
        await self.app(scope, receive, send)


def install_pre_route(app: FastAPI) -> None:
    """Add the (empty) pre-route stage; call before the other middleware, so it is innermost."""
    responders: list[PreRouteResponder] = []
    setattr(app.state, _PRE_ROUTE_STATE, responders)
    app.add_middleware(PreRouteMiddleware, responders=responders)


SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_METRIC_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _request_metrics(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one (method, route, status), looked up once:
    ``labels()`` takes a lock and builds its key on every call. The labels are bounded (known
    methods, route templates, status codes), and so is this table."""
    key = (method, route, status)
    children = _METRIC_CHILDREN.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_LATENCY.labels(method, route, str(status)),
        )
        _METRIC_CHILDREN[key] = children
    return children


_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
#: Swagger UI and ReDoc load their bundles from jsDelivr and run an inline bootstrap script.
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src 'self' https://fonts.gstatic.com; img-src 'self' data: "
    b"https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src 'self' blob:; "
    b"frame-ancestors 'none'",
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_NO_STORE = (b"cache-control", b"no-store")
#: Responses under these paths carry tokens (login, refresh, MFA, email and password flows).
_NO_STORE_PREFIXES = ("/api/v1/auth/",)
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


class CampusMiddleware:
    """The outermost layer: request id, body limit, security headers (and ``Cache-Control:
    no-store`` on credentialed and auth answers), metrics, access log, and the last-resort 500
    envelope (trace id only, never a stack trace)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        hsts: bool = False,
        upload_max_bytes: int | None = None,
        upload_paths: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hsts = hsts
        # Upload routes (paths matching ``upload_paths``, POST/PUT only) may send bodies up to
        # ``upload_max_bytes`` instead of ``max_body_bytes``; still enforced while streaming.
        self.upload_max_bytes = upload_max_bytes
        self.upload_paths = upload_paths

    def body_limit(self, scope: Scope) -> int:
        if (
            self.upload_paths is not None
            and self.upload_max_bytes is not None
            and scope.get("method") in ("POST", "PUT")
            and self.upload_paths.match(scope.get("path", ""))
        ):
            return self.upload_max_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # One pass over the raw headers for the four this layer reads (the last of a repeated
        # header counts, as in a dict built from them) instead of a dict of all of them.
        incoming = b""
        declared: bytes | None = None
        credentials = False
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value
            elif name == b"content-length":
                declared = value
            elif name == b"authorization" or name == b"cookie":
                credentials = True
        text = incoming.decode("latin-1")
        request_id = text if _REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        scope[MAX_BODY_SCOPE_KEY] = self.body_limit(scope)
        # Bound for this request only, restored afterwards (the caller's context may be a test,
        # or the app running inside another task): the token puts back whatever was bound.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self._handle(scope, receive, send, declared, credentials, request_id)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        declared: bytes | None,
        credentials: bool,
        request_id: str,
    ) -> None:
        started = time.perf_counter()
        path: str = scope.get("path", "")
        status_holder = {"status": 500, "started": False}
        extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
        extra.append(_DOCS_CSP if path in _DOCS_PATHS else _API_CSP)
        if self.hsts:
            extra.append(_HSTS)
        # Tokens and personal data must not be kept by browsers or shared caches: every answer
        # to a request carrying credentials (a bearer token or a cookie: Campus's only cookie is
        # the refresh token), and every auth answer, is ``no-store`` unless the route chose its
        # own Cache-Control (the public catalog's ETag caching).
        if credentials or path.startswith(_NO_STORE_PREFIXES):
            extra.append(_NO_STORE)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in existing
                ]
            await send(message)

        limit: int = scope[MAX_BODY_SCOPE_KEY]
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
            route_path = route_template(scope) or ("unmatched" if path != "/" else "/")
            method = scope.get("method", "")
            metric_method = method if method in _KNOWN_METHODS else "OTHER"
            status = status_holder["status"]
            requests, latency = _request_metrics(metric_method, route_path, status)
            requests.inc()
            latency.observe(elapsed)
            # The access log line goes through every structlog processor (time stamp,
            # redaction) before the standard library drops it below INFO: ask first.
            if log.isEnabledFor(logging.INFO):
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
        body = orjson.dumps(body_obj, option=orjson.OPT_NON_STR_KEYS)
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


class CampusCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, except that a refused preflight gets the error envelope
    instead of a plain-text body."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        failure = bytes(response.body).decode("utf-8", "replace")
        return CampusJSONResponse(
            envelope(
                "cors_rejected",
                "The cross-origin request is not allowed.",
                {"reason": failure.removeprefix("Disallowed CORS ").strip()[:200]},
                # Starlette gives the preflight no scope here; the middleware above adds the
                # X-Request-ID header, and the log line of the request carries the same id.
                structlog.contextvars.get_contextvars().get("request_id", ""),
            ),
            status_code=response.status_code,
            headers={
                k: v
                for k, v in response.headers.items()
                if k.lower() not in {"content-length", "content-type"}
            },
        )
