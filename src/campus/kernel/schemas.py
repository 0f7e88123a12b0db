"""Wire models: camelCase JSON, extra fields forbidden on input (mass assignment, AC-03/04)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from campus.kernel.clock import as_utc


def _instant_input(value: Any) -> Any:
    # Pydantic would read a number as Unix time; the document promises an ISO 8601 string.
    if isinstance(value, int | float):
        raise PydanticCustomError(
            "datetime_type", "Give an ISO 8601 date-time with a time zone (e.g. ...Z)."
        )
    return value


#: The one type of every moment a client sends (request bodies and query parameters): an ISO
#: 8601 date-time *with* a time zone (``2027-01-02T00:00:00Z``, ``...+02:00``), converted to
#: UTC. A naive value (``2027-01-02T00:00:00``) or a bare date is a 422 (``timezone_aware``),
#: never silently read in the server's zone; values past the last UTC moment saturate.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_instant_input),
    AfterValidator(as_utc),
    Field(examples=["2027-01-02T09:00:00Z"]),
]


#: Beyond this many digits before the point a decimal cannot be written out plainly.
_MAX_PLAIN_DIGITS = 28


def canonical_decimal(value: Decimal) -> Decimal:
    """The one spelling of a client's decimal: no negative zero (``-0``, ``-0.00`` are ``0``,
    ``0.00``) and no exponent (``1e2`` is ``100``); leading zeros (``00.5``) never survive
    parsing. Scores and amounts are therefore stored, compared and echoed canonically."""
    if not value.is_finite():
        raise PydanticCustomError("finite_number", "Give a finite number.")
    if value.is_zero():
        value = value.copy_abs()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        if value.adjusted() >= _MAX_PLAIN_DIGITS:
            raise PydanticCustomError("decimal_too_large", "The number is too large.")
        value = value.quantize(Decimal(1))
    return value


#: The type of every decimal a client sends (grades, percentages, numeric answers, amounts):
#: NaN and infinities refused, the value made canonical. A bounded one is
#: ``Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False),
#: AfterValidator(canonical_decimal)]`` (bounds before the validator, or the document loses
#: them).
CanonicalDecimal = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(canonical_decimal)]


#: What an absolute web address looks like to the OpenAPI document (the validator says more).
WEB_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+"
_URL_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\s<>\"']")


def web_url(value: str) -> str:
    """An absolute http(s) URL with a host: no ``javascript:``, ``data:``, relative links,
    whitespace, control characters or quotes."""
    if _URL_FORBIDDEN.search(value):
        raise PydanticCustomError("url_not_allowed", "Give an http(s) URL without spaces.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        raise PydanticCustomError("url_not_allowed", "The URL is malformed.") from exc
    if parts.scheme.lower() not in {"http", "https"} or not host:
        raise PydanticCustomError("url_not_allowed", "Give an absolute http(s) URL.")
    return value


#: Every URL a client sends: at most 2048 characters, http(s) only (the document says so with
#: ``format: uri`` and a pattern). Narrow the length where a column is shorter:
#: ``Annotated[WebUrl, Field(max_length=1000)]``.
WebUrl = Annotated[
    str,
    Field(
        min_length=10, max_length=2048, pattern=WEB_URL_PATTERN, json_schema_extra={"format": "uri"}
    ),
    AfterValidator(web_url),
]
#: Language tags as BCP 47 writes them (``en``, ``pt-BR``, ``zh-Hant-TW``).
LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"


class ApiModel(BaseModel):
    """Response model: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, frozen=True
    )


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


class InputModel(BaseModel):
    """Request body: camelCase on the wire; unknown fields are a 422, never silently ignored;
    no text anywhere in it may hold a NUL character (PostgreSQL cannot store one, and no
    legitimate title, answer or program needs it): a 422 on the field, on every database."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", "Text may not contain NUL characters.")
        return value


class Message(ApiModel):
    """A plain acknowledgement."""

    message: str


class ErrorBody(ApiModel):
    code: str = Field(examples=["course_not_found", "validation_error"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    trace_id: str


class ErrorEnvelope(ApiModel):
    """The one error shape (ARCHITECTURE.md §5), as documented in OpenAPI."""

    success: bool = False
    error: ErrorBody


#: FastAPI's ``responses=`` argument.
Responses = dict[int | str, dict[str, Any]]


def error_responses(descriptions: Mapping[int, str], *statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return, each described in its
    context's words (``descriptions``)."""
    return {s: {"model": ErrorEnvelope, "description": descriptions[s]} for s in statuses}
