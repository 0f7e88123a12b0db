"""Request dependencies of the catalog's routes: language negotiation, the language path
parameter, and the router whose writes invalidate cached public pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from campus.catalog import i18n
from campus.catalog.httpcache import CatalogJSONResponse, track_changes
from campus.catalog.text import normalize_language
from campus.kernel.errors import field_error
from campus.kernel.http import api_router


async def language_prefs(
    request: Request,
    lang: str | None = Query(
        None,
        max_length=35,
        description="Language to serve (overrides Accept-Language), e.g. 'fr' or 'pt-BR'",
    ),
) -> tuple[str, ...]:
    return i18n.preferences(lang, request.headers.get("accept-language"))


LanguagePrefs = Annotated[tuple[str, ...], Depends(language_prefs)]


async def _language_path(
    language: str = Path(min_length=2, max_length=35, description="Language code, e.g. 'fr'"),
) -> str:
    code = normalize_language(language)
    if code is None:
        raise field_error("language", "Use a language code such as 'fr' or 'pt-BR'.")
    return code


LanguagePath = Annotated[str, Depends(_language_path)]


def write_router(**kwargs: Any) -> APIRouter:
    """A router whose writes invalidate cached public catalog pages after their commit."""
    return api_router(
        dependencies=[Depends(track_changes)],
        default_response_class=CatalogJSONResponse,
        **kwargs,
    )
