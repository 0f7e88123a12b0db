"""Input rules shared by the wire schemas and the doorway (``create_user``).

Names (seed 002 §19): NFC-normalised and trimmed, 1..50 characters (李 is a surname), letters
and combining marks plus space, apostrophe, hyphen and period. Control, format (zero-width,
bidi overrides), private-use and unassigned characters, digits, symbols and emoji are rejected.

Emails: syntax checked with ``email-validator`` (no DNS), ASCII local part (no SMTPUTF8),
internationalised domains accepted. ``email`` keeps the local part as entered with the domain
lower-cased; ``key`` is the case-insensitive comparison form (ASCII/punycode, lower case).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

NAME_MIN = 1
NAME_MAX = 50
EMAIL_MAX = 254

_NAME_PUNCTUATION = frozenset(" '-.\u2019")
_BAD_TEXT_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{3,30}$"
_PHONE = re.compile(PHONE_PATTERN)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


def clean_name(value: str) -> str:
    """Return the normalised name or raise ``ValueError`` with a readable message."""
    name = unicodedata.normalize("NFC", value).strip()
    name = re.sub(r" {2,}", " ", name)
    if len(name) < NAME_MIN or len(name) > NAME_MAX:
        raise ValueError(f"must be between {NAME_MIN} and {NAME_MAX} characters")
    previous_is_letter = False
    letters = 0
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("L"):
            previous_is_letter = True
            letters += 1
        elif category.startswith("M"):
            if not previous_is_letter:
                raise ValueError("contains a combining mark that is not attached to a letter")
        elif char in _NAME_PUNCTUATION:
            previous_is_letter = False
        else:
            raise ValueError("may contain only letters, spaces, apostrophes, hyphens and periods")
    if letters < 1:
        raise ValueError("must contain letters")
    return name


@dataclass(frozen=True, slots=True)
class NormalizedEmail:
    email: str
    key: str


def normalize_email(value: str) -> NormalizedEmail:
    """Validate and normalise an email; raise ``ValueError`` when it is not acceptable."""
    raw = value.strip()
    if not raw or len(raw) > EMAIL_MAX:
        raise ValueError("is not a valid email address")
    try:
        result = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {str(exc)[:120]}") from exc
    ascii_email = result.ascii_email or result.normalized
    return NormalizedEmail(email=result.normalized, key=ascii_email.lower())


def email_key_lenient(value: str) -> str:
    """The comparison key for lookups (login, reset): never raises, so a malformed email gets
    the same answer as an unknown one."""
    try:
        return normalize_email(value).key
    except ValueError:
        return value.strip().lower()[:EMAIL_MAX]


def clean_text(value: str, *, max_length: int, multiline: bool = False) -> str:
    """Free text (bio, headline...): NFC, trimmed, no control/format characters."""
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    for char in text:
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) in _BAD_TEXT_CATEGORIES:
            raise ValueError("contains control or invisible characters")
    return text


def clean_phone(value: str) -> str:
    phone = value.strip()
    if not _PHONE.match(phone):
        raise ValueError("must be a phone number (digits, spaces, +, -, parentheses)")
    return phone


def clean_language(value: str) -> str:
    language = value.strip()
    if not _LANGUAGE.match(language):
        raise ValueError("must be a language tag such as 'en' or 'pt-BR'")
    return language
