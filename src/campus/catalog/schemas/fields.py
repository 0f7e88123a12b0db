"""Constrained field types of the catalog's wire models (URLs, languages, Markdown, slugs,
prices)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from campus.catalog.text import SLUG_PATTERN, normalize_language
from campus.kernel.money import MoneyIn
from campus.kernel.schemas import LANGUAGE_TAG_PATTERN

#: Markdown bodies are capped in bytes (UTF-8), below the request-body limit.
MAX_MARKDOWN_BYTES = 200 * 1024


def _language(value: str) -> str:
    code = normalize_language(value)
    if code is None:
        raise PydanticCustomError(
            "invalid_language", "Use a BCP-47 language code such as 'en' or 'pt-BR'."
        )
    return code


def _markdown(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > MAX_MARKDOWN_BYTES:
        raise PydanticCustomError(
            "body_too_large",
            "The body is {size} bytes; the limit is {limit} bytes.",
            {"size": size, "limit": MAX_MARKDOWN_BYTES},
        )
    return value


LanguageCode = Annotated[
    str, Field(min_length=2, max_length=35, pattern=LANGUAGE_TAG_PATTERN), AfterValidator(_language)
]
Markdown = Annotated[str, AfterValidator(_markdown)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=20_000)]
Slug = Annotated[str, Field(min_length=1, max_length=120, pattern=SLUG_PATTERN)]
ListItem = Annotated[str, Field(min_length=1, max_length=255)]
Minutes = Annotated[int, Field(ge=0, le=100_000)]


class PriceIn(MoneyIn):
    """``{"amount": "19.99", "currency": "USD"}``: a decimal string, non-negative, with at most
    the currency's decimals (checked by the kernel's ``MoneyIn``)."""
