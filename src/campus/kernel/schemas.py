"""Wire models: camelCase JSON, extra fields forbidden on input (mass assignment, AC-03/04)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Response model: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, frozen=True
    )


class InputModel(BaseModel):
    """Request body: camelCase on the wire; unknown fields are a 422, never silently ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


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
