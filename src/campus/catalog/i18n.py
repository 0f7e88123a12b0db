"""Which language to serve: ``?lang=`` or ``Accept-Language`` (q-values), falling back to the
course's own language. Responses say what they served (``language``, ``Content-Language``)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from campus.catalog.text import normalize_language
from campus.kernel.errors import field_error

MAX_PREFERENCES = 6


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """Language ranges by descending q (ties keep header order); malformed parts are ignored."""
    if not header:
        return ()
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:500].split(",")[:20]):
        name, _, params = part.strip().partition(";")
        name = name.strip()
        quality = 1.0
        params = params.strip()
        if params:
            key, _, value = params.partition("=")
            if key.strip().lower() != "q":
                continue
            try:
                quality = float(value.strip())
            except ValueError:
                continue
            if not 0 <= quality <= 1:
                continue
        if quality == 0 or not name or name == "*":
            continue
        code = normalize_language(name)
        if code is not None:
            ranked.append((-quality, index, code))
    ranked.sort()
    seen: list[str] = []
    for _, _, code in ranked:
        if code not in seen:
            seen.append(code)
    return tuple(seen[:MAX_PREFERENCES])


def preferences(lang: str | None, accept_language: str | None) -> tuple[str, ...]:
    """``?lang=`` wins over the header; a malformed ``lang`` is a 422."""
    if lang is not None and lang.strip():
        code = normalize_language(lang)
        if code is None:
            raise field_error("lang", "Use a language code such as 'en' or 'pt-BR'.")
        return (code,)
    return parse_accept_language(accept_language)


def primary(code: str) -> str:
    return code.split("-", 1)[0].lower()


def choose(available: Iterable[str], default: str, prefs: tuple[str, ...]) -> str:
    """Best available language for ``prefs``: exact, then same primary language, else default."""
    langs = sorted(set(available) | {default})
    for pref in prefs:
        lower = pref.lower()
        for lang in langs:
            if lang.lower() == lower:
                return lang
        base = primary(pref)
        if default.lower() == base or primary(default) == base:
            return default
        same = [lang for lang in langs if primary(lang) == base]
        if same:
            exact_base = [lang for lang in same if lang.lower() == base]
            return (exact_base or same)[0]
    return default


def language_filter(
    column: sa.orm.QueryableAttribute[str], prefs: tuple[str, ...]
) -> sa.ColumnElement[bool]:
    """Rows whose language could be chosen for ``prefs`` (same primary language)."""
    bases = sorted({primary(pref) for pref in prefs})
    clauses: list[sa.ColumnElement[bool]] = []
    for base in bases:
        clauses.append(column == base)
        # LIKE wildcards in ``base`` are literal (escaped), like every pattern in Campus.
        clauses.append(column.startswith(f"{base}-", autoescape=True))
    return sa.or_(*clauses) if clauses else sa.false()
