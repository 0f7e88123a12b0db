"""Constrained field types of assessment's wire models (titles, texts, topics, URLs)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ListItem = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def _web_url(value: str) -> str:
    lowered = value.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")) or any(
        ch in value for ch in "\x00\r\n\t <>\"'"
    ):
        raise ValueError("Give an http(s) URL.")
    if len(value) < 10:
        raise ValueError("Give an http(s) URL.")
    return value


WebUrl = Annotated[str, StringConstraints(min_length=8, max_length=2048), AfterValidator(_web_url)]
