"""Signing keys, JWTs and opaque tokens.

Access tokens are JWTs signed with Ed25519 (``EdDSA``). The algorithm is pinned: a token is
verified only as EdDSA with the key its ``kid`` names, and the header may hold nothing but
``alg``, ``typ`` and ``kid`` (so ``jku``/``x5u``/``jwk``/``x5c``/``crit`` are refused, never
followed). ``kid`` is the key's RFC 7638 thumbprint. PyJWT's own time checks are disabled:
``exp``/``nbf``/``iat`` are checked here against the injected clock (``campus.kernel.clock``)
with a small leeway, so tests drive time.

Keys: ``CAMPUS_JWT_PRIVATE_KEY`` (PEM, Ed25519) when set (required in production); otherwise,
in development and test, a key generated on first run at ``<data_dir>/keys/jwt-ed25519.pem``
(mode 0600).

Refresh, email and reset tokens are opaque: 256 random bits from ``secrets``, stored as SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from campus.config import Settings
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import utcnow

ALGORITHM: Final = "EdDSA"
TYP_ACCESS: Final = "access"
TYP_MFA: Final = "mfa"
LEEWAY_SECONDS: Final = 10
MFA_TOKEN_TTL_SECONDS: Final = 300
MAX_TOKEN_LENGTH: Final = 4096
KEY_FILE: Final = Path("keys") / "jwt-ed25519.pem"

_ALLOWED_HEADER_KEYS = frozenset({"alg", "typ", "kid"})
#: Three base64url segments (the signature may be empty: refused later, never accepted).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "nbf", "sub", "jti", "typ"]


class TokenError(Exception):
    """A token was refused. ``reason`` is for logs only; clients get one generic 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of an Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class KeyRing:
    """The signing key and every key tokens may be verified with, by ``kid``."""

    private_key: Ed25519PrivateKey
    kid: str
    verification_keys: dict[str, Ed25519PublicKey]

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> KeyRing:
        public = private_key.public_key()
        kid = thumbprint(public)
        return cls(private_key=private_key, kid=kid, verification_keys={kid: public})


def _load_pem(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the JWT private key must be an Ed25519 key (PEM, PKCS#8)")
    return key


def _development_key(data_dir: Path) -> Ed25519PrivateKey:
    path = data_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return _load_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return _load_pem(path.read_bytes())
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


_rings: dict[tuple[str, str], KeyRing] = {}
_rings_lock = threading.Lock()


def keyring(settings: Settings) -> KeyRing:
    """The process-wide key ring for these settings (loaded or generated once)."""
    pem = IdentitySettings.of(settings).jwt_private_key.get_secret_value()
    cache_key = (pem, "" if pem else str(settings.data_dir))
    ring = _rings.get(cache_key)
    if ring is not None:
        return ring
    with _rings_lock:
        ring = _rings.get(cache_key)
        if ring is None:
            if pem:
                ring = KeyRing.of(_load_pem(pem.encode()))
            elif settings.is_production:
                raise RuntimeError("CAMPUS_JWT_PRIVATE_KEY must be set in production")
            else:
                ring = KeyRing.of(_development_key(settings.data_dir))
            _rings[cache_key] = ring
    return ring


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int
    jti: str


def _sign(settings: Settings, claims: dict[str, Any], ttl: int) -> IssuedToken:
    ring = keyring(settings)
    now = int(utcnow().timestamp())
    jti = _b64url(secrets.token_bytes(16))
    payload = {
        "iss": IdentitySettings.of(settings).jwt_issuer,
        "aud": IdentitySettings.of(settings).jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": jti,
        **claims,
    }
    token = jwt.encode(payload, ring.private_key, algorithm=ALGORITHM, headers={"kid": ring.kid})
    return IssuedToken(token=token, expires_in=ttl, jti=jti)


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, token_version: int
) -> IssuedToken:
    return _sign(
        settings,
        {"sub": str(user_id), "typ": TYP_ACCESS, "sid": str(session_id), "ver": token_version},
        IdentitySettings.of(settings).access_token_ttl_seconds,
    )


def issue_mfa_token(settings: Settings, *, user_id: uuid.UUID, token_version: int) -> IssuedToken:
    """The short-lived proof that the password step of a login succeeded."""
    return _sign(
        settings,
        {"sub": str(user_id), "typ": TYP_MFA, "ver": token_version},
        MFA_TOKEN_TTL_SECONDS,
    )


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenError(f"{name}_not_integer")
    return value


def _header(token: str) -> dict[str, Any]:
    """The JOSE header, parsed once and strictly (the signature is checked by ``jwt.decode``)."""
    if not _COMPACT_JWS.fullmatch(token):
        raise TokenError("malformed")
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError as exc:  # binascii.Error, JSONDecodeError and UnicodeDecodeError
        raise TokenError("malformed") from exc
    if not isinstance(header, dict):
        raise TokenError("malformed")
    return header


class _VerifiedTokens:
    """Claims of tokens whose signature and static checks already passed, least recently used
    evicted first. Every authenticated request presents the same access token for 15 minutes;
    verifying its signature and parsing it once saves that work on all the others. Only tokens
    that verified are kept, with the key and audience/issuer they verified against; the time
    checks (``exp``, ``nbf``, ``iat``) and the type check still run on every use, and
    revocation is the verifier's database query, which always runs."""

    def __init__(self, max_entries: int = 2048) -> None:
        self._entries: OrderedDict[str, tuple[object, str, str, dict[str, Any]]] = OrderedDict()
        self._max = max_entries

    def get(self, token: str, key: object, audience: str, issuer: str) -> dict[str, Any] | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] is not key or entry[1:3] != (audience, issuer):
            return None
        self._entries.move_to_end(token)
        return entry[3]

    def put(
        self, token: str, key: object, audience: str, issuer: str, claims: dict[str, Any]
    ) -> None:
        self._entries[token] = (key, audience, issuer, claims)
        self._entries.move_to_end(token)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


_verified = _VerifiedTokens()


def _verify_signature(settings: Settings, token: str) -> dict[str, Any]:
    """Header, algorithm, key, signature, audience, issuer and required claims."""
    header = _header(token)
    if set(header) - _ALLOWED_HEADER_KEYS:
        raise TokenError("header_not_allowed")
    if header.get("alg") != ALGORITHM:
        raise TokenError("algorithm")
    kid = header.get("kid")
    key = keyring(settings).verification_keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("unknown_kid")
    audience, issuer = (
        IdentitySettings.of(settings).jwt_audience,
        IdentitySettings.of(settings).jwt_issuer,
    )
    cached = _verified.get(token, key, audience, issuer)
    if cached is not None:
        return cached
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": _REQUIRED_CLAIMS,
            },
        )
    except jwt.PyJWTError as exc:
        raise TokenError(type(exc).__name__) from exc
    _verified.put(token, key, audience, issuer, claims)
    return claims


def decode(settings: Settings, token: str, *, typ: str) -> dict[str, Any]:
    """Verify ``token`` completely and return its claims, or raise ``TokenError``."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("length")
    claims = dict(_verify_signature(settings, token))
    now = utcnow().timestamp()
    if now > _int_claim(claims, "exp") + LEEWAY_SECONDS:
        raise TokenError("expired")
    if _int_claim(claims, "nbf") > now + LEEWAY_SECONDS:
        raise TokenError("not_yet_valid")
    if _int_claim(claims, "iat") > now + LEEWAY_SECONDS:
        raise TokenError("issued_in_future")
    if claims.get("typ") != typ:
        raise TokenError("wrong_type")
    return claims


def uuid_claim(claims: dict[str, Any], name: str) -> uuid.UUID:
    value = claims.get(name)
    if not isinstance(value, str):
        raise TokenError(f"{name}_missing")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise TokenError(f"{name}_invalid") from exc


def version_claim(claims: dict[str, Any]) -> int:
    version = _int_claim(claims, "ver")
    if version < 0:
        raise TokenError("ver_invalid")
    return version


# --------------------------------------------------------------------------- opaque tokens


def hash_opaque(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_opaque_token() -> tuple[str, str]:
    """``(raw, sha256 hex)``: 256 random bits; only the hash is stored."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_opaque(raw)
