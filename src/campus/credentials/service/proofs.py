"""Ed25519 Data Integrity proofs (``eddsa-rdfc-2022``) and VC-JWTs (``EdDSA``) over Open Badges
3.0 credentials.

The RDF canonicalization is PyLD's URDNA2015 with a document loader that serves the JSON-LD
contexts Campus ships (``credentials/contexts/*.json``): nothing is fetched at run time, and a
credential naming any other context fails to canonicalize (so it does not verify).

``eddsa-rdfc-2022`` (W3C Data Integrity EdDSA Cryptosuites v1.0, §3.2): the proof options
(the proof without ``proofValue``, with the document's ``@context``) and the document without
its proof are each canonicalized to N-Quads and hashed with SHA-256; the signature is Ed25519
over ``hash(proof options) || hash(document)``, written as multibase base58btc (``z...``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld

CRYPTOSUITE = "eddsa-rdfc-2022"
#: The multicodec prefix of an Ed25519 public key (``0xed``, varint-encoded).
ED25519_PUB_PREFIX = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

#: Context URL -> file shipped in ``campus/credentials/contexts``.
CONTEXT_FILES: Mapping[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-3.0.1.json",
}


class ProofError(ValueError):
    """The credential cannot be canonicalized or its proof does not verify."""


# --------------------------------------------------------------------------- encodings


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ProofError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def public_multibase(key: Ed25519PublicKey) -> str:
    """The key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + b58encode(ED25519_PUB_PREFIX + raw)


def public_key_of_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ProofError("unsupported multibase")
    raw = b58decode(value[1:])
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise ProofError("not an Ed25519 multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


# --------------------------------------------------------------------------- canonicalization


@cache
def _context_document(url: str) -> dict[str, Any]:
    name = CONTEXT_FILES[url]
    text = resources.files("campus.credentials").joinpath("contexts", name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def local_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader serving only the contexts Campus ships."""
    if url not in CONTEXT_FILES:
        raise jsonld.JsonLdError(
            f"context {url} is not available offline", "jsonld.LoadDocumentError"
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": _context_document(url),
    }


def canonical_nquads(document: Mapping[str, Any]) -> str:
    try:
        result = jsonld.normalize(
            dict(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": local_loader,
                "safe": True,
            },
        )
    except Exception as error:  # PyLD raises its own errors and plain ones alike
        raise ProofError(f"the credential cannot be canonicalized: {error}") from error
    return str(result)


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    config = {"@context": document["@context"], **options}
    config.pop("proofValue", None)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return (
        hashlib.sha256(canonical_nquads(config).encode()).digest()
        + hashlib.sha256(canonical_nquads(unsecured).encode()).digest()
    )


# --------------------------------------------------------------------------- Data Integrity


def sign(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """``document`` with an ``eddsa-rdfc-2022`` proof (a list of one, as OB 3.0 writes it)."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    signed = copy.deepcopy(dict(document))
    signed.pop("proof", None)
    signed["proof"] = [{**options, "proofValue": "z" + b58encode(signature)}]
    return signed


KeyResolver = Callable[[str], Ed25519PublicKey | None]


def key_from_method_fragment(verification_method: str) -> Ed25519PublicKey | None:
    """The key named by a verification method ending in ``#<multikey>`` (``did:key`` and
    1EdTech's test issuer write it so), else ``None``."""
    _, _, fragment = verification_method.partition("#")
    if fragment.startswith("z6Mk"):
        try:
            return public_key_of_multibase(fragment)
        except (ProofError, ValueError):
            return None
    return None


def verify(document: Mapping[str, Any], resolve: KeyResolver = key_from_method_fragment) -> None:
    """Raise ``ProofError`` unless every ``eddsa-rdfc-2022`` proof of ``document`` verifies
    with the key ``resolve`` gives for its verification method."""
    proofs = document.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs:
        raise ProofError("the credential has no proof")
    for proof in proofs:
        if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
            raise ProofError("unsupported proof")
        if proof.get("type") != "DataIntegrityProof":
            raise ProofError("unsupported proof type")
        value = proof.get("proofValue")
        method = proof.get("verificationMethod")
        if not isinstance(value, str) or not value.startswith("z") or not isinstance(method, str):
            raise ProofError("malformed proof")
        key = resolve(method)
        if key is None:
            raise ProofError("unknown verification method")
        try:
            key.verify(b58decode(value[1:]), _hash_data(document, proof))
        except InvalidSignature as error:
            raise ProofError("the proof does not verify") from error


# --------------------------------------------------------------------------- VC-JWT


def to_jwt(credential: Mapping[str, Any], key: Ed25519PrivateKey, *, kid: str) -> str:
    """The credential as a VC-JWT (VC Data Model 2.0 JOSE securing: the payload is the
    credential itself, ``typ`` ``vc+jwt``), signed with EdDSA."""
    payload = {k: v for k, v in credential.items() if k != "proof"}
    return jwt.encode(
        payload, key, algorithm="EdDSA", headers={"kid": kid, "typ": "vc+jwt", "cty": "vc"}
    )


def from_jwt(token: str, key: Ed25519PublicKey) -> dict[str, Any]:
    try:
        decoded: dict[str, Any] = jwt.decode(
            token, key, algorithms=["EdDSA"], options={"verify_aud": False}
        )
    except jwt.PyJWTError as error:
        raise ProofError("the JWT does not verify") from error
    return decoded
