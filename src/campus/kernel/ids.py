"""Identifiers: UUIDv7 (time-ordered) everywhere."""

from __future__ import annotations

import uuid

from uuid_utils import compat


def new_id() -> uuid.UUID:
    """Return a new UUIDv7 as a standard-library UUID."""
    return compat.uuid7()


def parse_id(value: str) -> uuid.UUID | None:
    """Parse an id from user input; ``None`` when it is not a UUID."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
