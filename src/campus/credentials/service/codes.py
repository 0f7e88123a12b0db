"""Random identifiers of certificates: the public id, the verification code and the number.

* public id: 26 characters of Crockford base32 over 128 random bits (ULID-shaped, but with no
  time part: it reveals neither order nor issue time);
* verification code: ``CERT-XXXX-XXXX`` over an alphabet without look-alikes (40 bits);
* number: ``<prefix>-<year>-<6 characters>`` (seed 002 §21, ``EWS-2025-01F8Z6``), the six
  characters random Crockford base32 (30 bits); a collision is caught by the unique constraint
  and drawn again.
"""

from __future__ import annotations

import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Letters and digits a person reads back without confusing (no 0/O, 1/I/L, 5/S, 8/B, 2/Z).
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"


def public_id() -> str:
    value = secrets.randbits(128)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def verification_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"CERT-{chars[:4]}-{chars[4:]}"


def number(prefix: str, year: int) -> str:
    return f"{prefix}-{year}-" + "".join(secrets.choice(CROCKFORD) for _ in range(6))


def normalize_code(raw: str) -> str:
    return raw.strip().upper()
