"""Constrained field types of the coding wire schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Markdown = Annotated[str, StringConstraints(max_length=50_000)]
Hint = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Code = Annotated[str, StringConstraints(max_length=256 * 1024, strip_whitespace=False)]
ListItem = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Difficulty = Annotated[str, StringConstraints(pattern=r"^(EASY|MEDIUM|HARD)$")]
