"""Constrained field types of assessment's wire models (titles, texts, topics, URLs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from campus.kernel.schemas import WebUrl, canonical_decimal

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ListItem = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
#: Marks given by a grader and percentages: canonical decimals (``-0`` is ``0``, ``1e2`` 100).
#: (Bounds go before the validator, so the document shows them as minimum/maximum.)
Marks = Annotated[
    Decimal, Field(ge=0, le=1000, allow_inf_nan=False), AfterValidator(canonical_decimal)
]
Percent = Annotated[
    Decimal, Field(ge=0, le=100, allow_inf_nan=False), AfterValidator(canonical_decimal)
]
Tolerance = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(canonical_decimal)]

__all__ = ["WebUrl"]
