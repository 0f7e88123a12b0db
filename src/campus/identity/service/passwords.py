"""Password hashing (Argon2id, OWASP minimum parameters) and the password policy (AUTH-01/02).

* Argon2id with m = 19 MiB, t = 2, p = 1. Hashing and verifying are CPU-heavy, so they run in a
  worker thread (``asyncio.to_thread``) and never block the event loop.
* Passwords are NFKC-normalised before hashing (NIST SP 800-63B §5.1.1.2), never truncated.
* Policy: 12..128 characters (checked by the wire schema), no composition rules, and refused
  when it is
  - in the bundled list of common passwords (zxcvbn's 30 000 most frequent, case-insensitive),
    also once leading/trailing digits and symbols are stripped and common symbol swaps undone
    (``Sunshine2024!``, ``P@ssw0rd2024``);
  - all one character or a short unit repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``);
  - a sequence: made only of alphabet, digit or keyboard runs (``abcdefghijkl``,
    ``123456789012``, ``qwertyuiopas``);
  - the account's email, email local part or name (ignoring case, separators and a
    leading/trailing number);
  - on change and reset, the current password (``password_reused``).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from campus.kernel.errors import field_error

MIN_LENGTH = 12
MAX_LENGTH = 128

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)

_COMMON_PASSWORDS: frozenset[str] = frozenset(
    word.casefold() for word in FREQUENCY_LISTS["passwords"]
)


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, _normalize(password))


def _verify_sync(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, _normalize(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_verify_sync, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(24))


def warm_up() -> None:
    """Compute the dummy hash now (at start-up), so the first unknown-email login costs the
    same as every other one."""
    _dummy_hash()


async def verify_against_dummy(password: str) -> None:
    """Spend the same time as a real verification (unknown email at login: AUTH-06)."""
    dummy = await asyncio.to_thread(_dummy_hash)
    await verify_password(dummy, password)


def is_common(password: str) -> bool:
    return password.casefold() in _COMMON_PASSWORDS


#: Keyboard rows and runs people type as "passwords" (QWERTY, QWERTZ, AZERTY, columns), the
#: alphabet and the digits (with the wrap-around 9-0). A password made only of pieces of these
#: (forwards or backwards, three characters or more each) is a sequence.
_SEQUENCES: tuple[str, ...] = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "`1234567890-=",
    "!@#$%^&*()_+",
    "qwertyuiop",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiop",
    "yxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "147258369",
    "789456123",
)
_SEQUENCE_PIECES: frozenset[str] = frozenset(
    text[start:end]
    for sequence in _SEQUENCES
    for text in (sequence, sequence[::-1])
    for start in range(len(text))
    for end in range(start + 3, len(text) + 1)
)
_SEPARATORS = frozenset(" -_.")
_EDGES = " -_.!?*#@$%&+=~^,;:'\"0123456789"
#: Common letter-for-symbol swaps (``p@ssw0rd``), undone before looking a password up.
_UNLEET = (
    str.maketrans("@4310$5!7+|", "aaeiosssttl"),
    str.maketrans("@4310$5!7+|", "aaelosssttl"),
)


def _repeats_a_unit(text: str) -> bool:
    """All one character, or a short unit repeated (``abcabcabcabc``)."""
    for size in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i % size] for i in range(size, len(text))):
            return True
    return False


def _is_sequence(text: str) -> bool:
    """Made only of keyboard/alphabet/digit runs of 3+ characters, runs of one repeated
    character, and separators."""
    reachable = [False] * (len(text) + 1)
    reachable[0] = True
    for start in range(len(text)):
        if not reachable[start]:
            continue
        if text[start] in _SEPARATORS:
            reachable[start + 1] = True
        for end in range(start + 3, len(text) + 1):
            piece = text[start:end]
            if piece in _SEQUENCE_PIECES or (len(set(piece)) == 1):
                reachable[end] = True
    return reachable[len(text)] and any(c not in _SEPARATORS for c in text)


def _compact(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _variants(folded: str) -> set[str]:
    """The password as typed, its core without leading/trailing digits and symbols
    (``Sunshine2024!`` -> ``sunshine``), and both with common symbol swaps undone."""
    core = folded.strip(_EDGES)
    found = {folded, core}
    for table in _UNLEET:
        found |= {folded.translate(table), core.translate(table)}
    return {v for v in found if v}


def policy_problem(
    password: str, *, email: str, first_name: str = "", last_name: str = ""
) -> tuple[str, str] | None:
    """``(code, message)`` when the password breaks the policy, else None."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return (
            "password_length",
            f"Use between {MIN_LENGTH} and {MAX_LENGTH} characters.",
        )
    folded = _normalize(password).casefold().strip()
    variants = _variants(folded)
    if any(v in _COMMON_PASSWORDS for v in variants):
        return (
            "password_too_common",
            "This password is too common. Choose a longer phrase that is unique to you.",
        )
    if _repeats_a_unit(folded):
        return (
            "password_repetitive",
            "The password repeats one character or a short pattern. Choose a longer phrase.",
        )
    if _is_sequence(folded):
        return (
            "password_sequence",
            "The password is a sequence (like abcdef, 123456 or qwerty). Choose a phrase.",
        )
    local_part = email.rsplit("@", 1)[0]
    identity = {_compact(email), _compact(local_part)}
    if first_name or last_name:
        identity |= {_compact(first_name), _compact(last_name), _compact(first_name + last_name)}
    identity.discard("")
    if any(_compact(v) in identity for v in variants):
        return (
            "password_matches_identity",
            "The password must not be your email address or your name.",
        )
    return None


def check_password_policy(
    password: str, *, email: str, first_name: str, last_name: str, field: str
) -> None:
    problem = policy_problem(password, email=email, first_name=first_name, last_name=last_name)
    if problem is not None:
        raise field_error(field, problem[1], code=problem[0])


async def check_not_current(password_hash: str, new_password: str, *, field: str) -> None:
    """Refuse a "new" password equal to the current one (change and reset)."""
    if await verify_password(password_hash, new_password):
        raise field_error(
            field,
            "The new password must differ from the current one.",
            code="password_reused",
        )
