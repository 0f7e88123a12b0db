"""Password hashing (Argon2id, OWASP minimum parameters) and the password policy (AUTH-01/02).

* Argon2id with m = 19 MiB, t = 2, p = 1. Hashing and verifying are CPU-heavy, so they run in a
  worker thread (``asyncio.to_thread``) and never block the event loop.
* Passwords are NFKC-normalised before hashing (NIST SP 800-63B §5.1.1.2), never truncated.
* Policy: 12..128 characters (checked by the wire schema), no composition rules, not in the
  bundled list of common passwords (zxcvbn's 30 000 most frequent, case-insensitive), and not
  equal to the account's email, email local part or name.
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


def policy_problem(
    password: str, *, email: str, first_name: str = "", last_name: str = ""
) -> tuple[str, str] | None:
    """``(code, message)`` when the password breaks the policy, else None."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return (
            "password_length",
            f"Use between {MIN_LENGTH} and {MAX_LENGTH} characters.",
        )
    folded = password.casefold().strip()
    if is_common(password) or is_common(folded):
        return (
            "password_too_common",
            "This password is too common. Choose a longer phrase that is unique to you.",
        )
    identity = {email.casefold(), email.split("@", 1)[0].casefold()}
    if first_name or last_name:
        identity |= {
            first_name.casefold(),
            last_name.casefold(),
            f"{first_name} {last_name}".casefold(),
            f"{first_name}{last_name}".casefold(),
        }
    if folded in identity:
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
