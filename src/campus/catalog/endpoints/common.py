"""Shared pieces of the catalog's HTTP layer: error docs, language negotiation, path params."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from campus.catalog import i18n
from campus.catalog.httpcache import CatalogJSONResponse, track_changes
from campus.catalog.text import normalize_language
from campus.kernel.errors import field_error
from campus.kernel.http import api_router
from campus.kernel.schemas import Responses, error_responses

_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "The object is visible but the caller may not do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope)",
    413: "Request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


#: Every write route can fail these ways.
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
READ_ERRORS = errors(401, 403, 404, 422)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the ETag in If-None-Match is current)"}
}


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
