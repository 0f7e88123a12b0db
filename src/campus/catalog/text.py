"""Text rules of the catalog: slugs, tag labels, search folding, language codes, URLs."""

from __future__ import annotations

import re
import unicodedata

from campus.kernel.ids import parse_id

SLUG_MAX = 120
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG_RE = re.compile(SLUG_PATTERN)
_SYMBOL_WORDS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})((?:-[A-Za-z0-9]{2,8}){0,3})$")


def strip_marks(text: str) -> str:
    """NFKD without combining marks: "Café" → "Cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, *, max_length: int = SLUG_MAX, fallback: str = "course") -> str:
    """ASCII, lower-case, hyphen-separated; "C++ & C#" → "c-plus-plus-and-c-sharp"."""
    for symbol, word in _SYMBOL_WORDS.items():
        text = text.replace(symbol, word)
    ascii_text = strip_marks(text).encode("ascii", "ignore").decode().lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    slug = slug[:max_length].rstrip("-")
    if not slug:
        slug = fallback
    if parse_id(slug) is not None:  # a slug must never read as an id in "/courses/{idOrSlug}"
        slug = f"{slug[: max_length - 7]}-course"
    return slug


def with_suffix(slug: str, n: int, *, max_length: int = SLUG_MAX) -> str:
    suffix = f"-{n}"
    return slug[: max_length - len(suffix)].rstrip("-") + suffix


def is_slug(value: str) -> bool:
    return len(value) <= SLUG_MAX and bool(_SLUG_RE.match(value))


def normalize_label(text: str) -> str:
    """A tag label as shown: NFKC, trimmed, inner whitespace collapsed to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def label_key(text: str) -> str:
    """The case-insensitive identity of a label ("Machine  Learning" == "machine learning")."""
    return normalize_label(text).casefold()


def fold(text: str) -> str:
    """Case- and accent-folded text, the form search documents and sort keys are stored in."""
    return strip_marks(unicodedata.normalize("NFKC", text)).casefold()


def search_words(text: str) -> list[str]:
    """Folded words (letters and digits of any script); what both search engines index."""
    return _WORD.findall(fold(text))


def search_text(*parts: str | None) -> str:
    return " ".join(word for part in parts if part for word in search_words(part))


def title_sort_key(title: str) -> str:
    return " ".join(search_words(title))[:200]


def normalize_language(code: str) -> str | None:
    """BCP-47-ish: "EN-us" → "en-US", "zh-hant-tw" → "zh-Hant-TW"; ``None`` when malformed."""
    match = _LANGUAGE.match(code.strip())
    if not match:
        return None
    parts = [match.group(1).lower()]
    for sub in match.group(2).split("-")[1:]:
        if len(sub) == 2 and sub.isalpha():
            parts.append(sub.upper())
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())
        else:
            parts.append(sub.lower())
    return "-".join(parts)
