"""Open Badges 3.0: every issued certificate is also an ``OpenBadgeCredential``
(``AchievementCredential``, VC Data Model 2.0), signed with the issuer's Ed25519 key as an
``eddsa-rdfc-2022`` Data Integrity proof and as a VC-JWT; revocation is published as a
Bitstring Status List credential.

* issuer profile: ``{base}/api/v1/credentials/issuer`` (JSON, with the public key as a
  ``Multikey``); the verification method is ``{issuer}#{publicKeyMultibase}``, so a verifier
  holding the credential alone can check the signature offline, and the profile confirms the
  key is the issuer's;
* the learner is identified by their email, hashed and salted (``IdentityObject``); the salt is
  derived from the certificate and the secret key, so the credential is the same every time it
  is built;
* the key is ``CAMPUS_CREDENTIALS_SIGNING_KEY`` or, when empty, generated on first use and
  stored once (the first insert wins).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.credentials.models import Badge, Certificate
from campus.credentials.repository import certificates as repo
from campus.credentials.service import proofs
from campus.credentials.settings import CredentialsSettings

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
KEY_NAME = "default"
#: Bits of the status list (the minimum the Bitstring Status List recommends: 16 KiB).
STATUS_LIST_BITS = 131072
STATUS_LIST_ID = 1


def api_base(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/api/v1"


def issuer_id(settings: Settings) -> str:
    return f"{api_base(settings)}/credentials/issuer"


def status_list_url(settings: Settings) -> str:
    return f"{api_base(settings)}/credentials/status-lists/{STATUS_LIST_ID}"


def verify_url(settings: Settings, public_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/verify/{public_id}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def signing_key(session: AsyncSession, settings: Settings) -> Ed25519PrivateKey:
    configured = CredentialsSettings.of(settings).signing_key.get_secret_value()
    if configured:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(configured))
    stored = await repo.issuer_key(session, KEY_NAME)
    if stored is None:
        fresh = Ed25519PrivateKey.generate()
        raw = fresh.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        await repo.insert_issuer_key(session, KEY_NAME, raw.hex())
        stored = await repo.issuer_key(session, KEY_NAME)
        assert stored is not None
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored.private_key_hex))


def verification_method(settings: Settings, key: Ed25519PrivateKey) -> str:
    return f"{issuer_id(settings)}#{proofs.public_multibase(key.public_key())}"


def issuer_profile(settings: Settings, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The issuer's profile with its public key (what the key URL answers)."""
    config = CredentialsSettings.of(settings)
    method = verification_method(settings, key)
    return {
        "@context": [*CONTEXT, "https://w3id.org/security/data-integrity/v1"],
        "id": issuer_id(settings),
        "type": ["Profile"],
        "name": config.issuer_name,
        "url": settings.base_url.rstrip("/"),
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": issuer_id(settings),
                "publicKeyMultibase": proofs.public_multibase(key.public_key()),
            }
        ],
        "assertionMethod": [method],
    }


def identity_hash(settings: Settings, certificate: Certificate | Badge) -> tuple[str, str]:
    secret = settings.secret_key.get_secret_value().encode()
    salt = hmac.new(secret, b"ob3-salt:" + certificate.id.bytes, hashlib.sha256).hexdigest()[:16]
    digest = hashlib.sha256((certificate.learner_email.lower() + salt).encode()).hexdigest()
    return "sha256$" + digest, salt


def _issuer(settings: Settings) -> dict[str, Any]:
    return {
        "id": issuer_id(settings),
        "type": ["Profile"],
        "name": CredentialsSettings.of(settings).issuer_name,
        "url": settings.base_url.rstrip("/"),
    }


def _subject(settings: Settings, holder: Certificate | Badge) -> dict[str, Any]:
    identity, salt = identity_hash(settings, holder)
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity,
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
    }


def unsigned_badge_credential(settings: Settings, badge: Badge) -> dict[str, Any]:
    """A module or track badge as an ``OpenBadgeCredential`` (not revocable: no status)."""
    if badge.kind == "module":
        achievement_id = f"{api_base(settings)}/credentials/achievements/modules/{badge.subject_id}"
        description = f"Completed the module {badge.name} of the course {badge.course_title}."
        narrative = "Complete every required lesson of the module."
    else:
        achievement_id = f"{api_base(settings)}/credentials/achievements/tracks/{badge.subject_id}"
        description = f"Completed the {badge.name} track ({badge.course_title})."
        narrative = "Complete every required item of the track's course."
    return {
        "@context": list(CONTEXT),
        "id": f"urn:uuid:{badge.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer(settings),
        "validFrom": _iso(badge.issued_at),
        "name": badge.name,
        "credentialSubject": {
            **_subject(settings, badge),
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Badge",
                "name": badge.name,
                "description": description,
                "criteria": {"narrative": narrative},
            },
        },
    }


async def signed_badge_credential(
    session: AsyncSession, settings: Settings, badge: Badge
) -> dict[str, Any]:
    key = await signing_key(session, settings)
    return proofs.sign(
        unsigned_badge_credential(settings, badge),
        key,
        verification_method=verification_method(settings, key),
        created=_iso(badge.issued_at),
    )


async def badge_jwt(session: AsyncSession, settings: Settings, badge: Badge) -> str:
    key = await signing_key(session, settings)
    return proofs.to_jwt(
        unsigned_badge_credential(settings, badge), key, kid=verification_method(settings, key)
    )


def unsigned_credential(settings: Settings, certificate: Certificate) -> dict[str, Any]:
    config = CredentialsSettings.of(settings)
    identity, salt = identity_hash(settings, certificate)
    issued = certificate.issued_at or certificate.created_at
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": f"urn:uuid:{certificate.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_id(settings),
            "type": ["Profile"],
            "name": config.issuer_name,
            "url": settings.base_url.rstrip("/"),
        },
        "validFrom": _iso(issued),
        "name": f"{certificate.course_title} — certificate {certificate.number}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity,
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{api_base(settings)}/credentials/achievements/{certificate.course_id}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.course_title,
                "description": f"Completed the course {certificate.course_title}.",
                "criteria": {
                    "narrative": "Complete every required item of the course and meet its "
                    "certificate terms (minimum average quiz score, required graded items, "
                    "approval where the course asks for it)."
                },
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url(settings)}#{certificate.status_index or 0}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index or 0),
            "statusListCredential": status_list_url(settings),
        },
    }
    if certificate.expires_at is not None:
        credential["validUntil"] = _iso(certificate.expires_at)
    return credential


async def signed_credential(
    session: AsyncSession, settings: Settings, certificate: Certificate
) -> dict[str, Any]:
    key = await signing_key(session, settings)
    return proofs.sign(
        unsigned_credential(settings, certificate),
        key,
        verification_method=verification_method(settings, key),
        created=_iso(certificate.issued_at or certificate.created_at),
    )


async def credential_jwt(
    session: AsyncSession, settings: Settings, certificate: Certificate
) -> str:
    key = await signing_key(session, settings)
    return proofs.to_jwt(
        unsigned_credential(settings, certificate),
        key,
        kid=verification_method(settings, key),
    )


def encode_bitstring(revoked: Iterable[int], bits: int = STATUS_LIST_BITS) -> str:
    """GZIP-compressed bitstring, multibase base64url without padding (``u...``); index 0 is
    the most significant bit of the first byte."""
    raw = bytearray(bits // 8)
    for index in revoked:
        if 0 <= index < bits:
            raw[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(raw), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    text = encoded[1:] if encoded.startswith("u") else encoded
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def bit_is_set(encoded: str, index: int) -> bool:
    raw = decode_bitstring(encoded)
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


async def status_list_credential(
    session: AsyncSession, settings: Settings, now: datetime
) -> dict[str, Any]:
    key = await signing_key(session, settings)
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": status_list_url(settings),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(settings),
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{status_list_url(settings)}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(await repo.revoked_indexes(session)),
        },
    }
    return proofs.sign(
        document, key, verification_method=verification_method(settings, key), created=_iso(now)
    )


def key_resolver_for(settings: Settings, key: Ed25519PrivateKey) -> proofs.KeyResolver:
    """Campus's verifier: its own key by its method, else the key in the method's fragment."""
    own = verification_method(settings, key)

    def resolve(method: str) -> Any:
        if method == own:
            return key.public_key()
        return proofs.key_from_method_fragment(method)

    return resolve


def certificate_uuid(credential_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(credential_id.removeprefix("urn:uuid:"))
    except ValueError:
        return None
