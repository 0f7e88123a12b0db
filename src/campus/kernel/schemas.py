"""Wire models: camelCase JSON, extra fields forbidden on input (mass assignment, AC-03/04)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
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
