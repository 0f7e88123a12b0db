"""Table objects of coding's models, for Core statements."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa


def table_of(model: Any) -> sa.Table:
    """The ``Table`` of a mapped class (for Core statements)."""
    return cast(sa.Table, model.__table__)
