"""Page/limit pagination with the §5 envelope, a cursor helper, and sort whitelists."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import Field

from campus.kernel.errors import field_error
from campus.kernel.schemas import ApiModel

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def page_params(
    page: int = Query(1, ge=1, le=100_000, description="1-based page number"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size"),
) -> PageParams:
    return PageParams(page=page, limit=limit)


class Page(ApiModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int
    has_next: bool
    has_prev: bool

    @classmethod
    def build(cls, items: Sequence[T], total: int, params: PageParams) -> Page[T]:
        return cls(
            items=list(items),
            total=total,
            page=params.page,
            limit=params.limit,
            has_next=params.offset + len(items) < total,
            has_prev=params.page > 1,
        )


class CursorPage(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(default=None)
    limit: int


def encode_cursor(values: Mapping[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[str]) -> dict[str, Any]:
    """Decode a cursor made by ``encode_cursor``; anything else is a 422."""
    if len(cursor) > 512:
        raise field_error("cursor", "The cursor is invalid.")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise field_error("cursor", "The cursor is invalid.") from exc
    if not isinstance(data, dict) or set(data) != set(keys):
        raise field_error("cursor", "The cursor is invalid.")
    return data


@dataclass(frozen=True, slots=True)
class SortSpec:
    field: str
    descending: bool


MAX_SORT_FIELDS = 3


def sort_pattern(allowed: Iterable[str]) -> str:
    """The regular expression of the ``sort`` values ``parse_sort`` accepts for ``allowed``:
    one to three fields of the whitelist, comma-separated, each with an optional ``-`` (or
    ``+``). Routes put it in their OpenAPI description of ``sort``
    (``Query(json_schema_extra={"pattern": ...})``), so the document states the whitelist."""
    field = r"\s*[-+]?(?:" + "|".join(re.escape(name) for name in sorted(allowed)) + r")\s*"
    return rf"^{field}(?:,{field}){{0,{MAX_SORT_FIELDS - 1}}}$"


def parse_sort(value: str | None, allowed: Mapping[str, Any], default: str) -> list[SortSpec]:
    """Parse ``sort=-createdAt,lastName`` against a whitelist; unknown fields are a 422."""
    raw = default if value is None else value  # an empty ``sort=`` is a 422, as documented
    specs: list[SortSpec] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            raise field_error("sort", "An empty sort field.", code="unknown_sort_field")
        descending = part.startswith("-")
        name = part[1:] if part[:1] in "-+" else part
        if name not in allowed:
            raise field_error(
                "sort",
                f"Unknown sort field '{name[:40]}'. Allowed: {', '.join(sorted(allowed))}.",
                code="unknown_sort_field",
            )
        specs.append(SortSpec(name, descending))
    if not specs or len(specs) > MAX_SORT_FIELDS:
        raise field_error("sort", "Give between one and three sort fields.")
    return specs


def order_by(specs: Sequence[SortSpec], columns: Mapping[str, Any], tiebreak: Any) -> list[Any]:
    clauses: list[Any] = [
        sa.desc(columns[s.field]) if s.descending else sa.asc(columns[s.field]) for s in specs
    ]
    clauses.append(tiebreak)
    return clauses
