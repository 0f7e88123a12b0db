"""Open Badges 3.0: the credential's shape (1EdTech's JSON Schema), its proof with the
published key, tampering, the VC-JWT, revocation in the status list, and 1EdTech's example."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import jwt
import pytest
from httpx import AsyncClient

from campus.credentials.service import badges, proofs
from campus.kernel.jobs import Relay
from tests.credentials.helpers import complete, my_certificates, published_course
from tests.fixtures.catalog import API
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import LearningFactory

HERE = Path(__file__).parent
EXAMPLE = json.loads((HERE / "example-simple-eddsa-rdfc-2022.json").read_text())
SCHEMA = json.loads((HERE / "ob_v3p0_achievementcredential_schema.json").read_text())


async def credential_of(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> tuple[AppUser, dict[str, Any], dict[str, Any]]:
    _, course = await published_course(learning)
    learner = await learning.learner("Amara")
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    response = await client.get(
        f"{API}/certificates/{certificate['id']}/credential", headers=learner.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    return learner, certificate, response.json()


async def published_resolver(client: AsyncClient) -> proofs.KeyResolver:
    """A verifier's view: the key comes from the issuer profile Campus publishes."""
    profile = (await client.get(f"{API}/credentials/issuer")).json()
    methods = {m["id"]: m["publicKeyMultibase"] for m in profile["verificationMethod"]}

    def resolve(method: str) -> Any:
        value = methods.get(method)
        return None if value is None else proofs.public_key_of_multibase(value)

    return resolve


async def test_the_credential_validates_against_the_open_badges_schema(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, _, credential = await credential_of(learning, relay, client)
    validator = jsonschema_rs.Draft201909Validator(SCHEMA)
    errors = [error.message for error in validator.iter_errors(credential)]
    assert errors == []
    assert validator.is_valid(EXAMPLE)
    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]["achievement"]["criteria"]
    assert not validator.is_valid(broken)


async def test_the_credential_names_the_achievement_and_a_hashed_salted_email(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    learner, certificate, credential = await credential_of(learning, relay, client)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    subject = credential["credentialSubject"]
    assert subject["achievement"]["name"] == certificate["courseTitle"]
    assert subject["achievement"]["criteria"]["narrative"]
    [identifier] = subject["identifier"]
    assert identifier["hashed"] is True
    assert identifier["identityType"] == "emailAddress"
    assert learner.email not in json.dumps(credential)
    import hashlib

    expected = hashlib.sha256((learner.email.lower() + identifier["salt"]).encode()).hexdigest()
    assert identifier["identityHash"] == "sha256$" + expected


async def test_the_proof_verifies_with_the_published_key_and_any_changed_claim_breaks_it(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, _, credential = await credential_of(learning, relay, client)
    resolve = await published_resolver(client)
    proofs.verify(credential, resolve)
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"

    changes = [
        ("name", "Another course"),
        ("validFrom", "2001-01-01T00:00:00Z"),
        ("issuer", {**credential["issuer"], "name": "Mallory University"}),
    ]
    for key, value in changes:
        altered = copy.deepcopy(credential)
        altered[key] = value
        with pytest.raises(proofs.ProofError):
            proofs.verify(altered, resolve)
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    with pytest.raises(proofs.ProofError):
        proofs.verify(altered, resolve)
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "0" * 64
    with pytest.raises(proofs.ProofError):
        proofs.verify(altered, resolve)


async def test_the_vc_jwt_verifies_with_the_published_key(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    learner, certificate, credential = await credential_of(learning, relay, client)
    response = await client.get(
        f"{API}/certificates/{certificate['id']}/credential.jwt", headers=learner.headers
    )
    assert response.status_code == 200
    token = response.text
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "vc+jwt"
    key = (await published_resolver(client))(header["kid"])
    assert key is not None
    payload = proofs.from_jwt(token, key)
    assert payload["id"] == credential["id"]
    assert payload["credentialSubject"] == credential["credentialSubject"]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(proofs.ProofError):
        proofs.from_jwt(tampered, key)


async def test_a_revoked_credential_has_its_status_list_bit_set(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, certificate, credential = await credential_of(learning, relay, client)
    status = credential["credentialStatus"]
    index = int(status["statusListIndex"])
    resolve = await published_resolver(client)

    async def bit() -> bool:
        response = await client.get(status["statusListCredential"].split("8000", 1)[1])
        document = response.json()
        proofs.verify(document, resolve)
        return badges.bit_is_set(document["credentialSubject"]["encodedList"], index)

    assert await bit() is False
    cast = await learning.cast()
    revoked = await client.post(
        f"{API}/certificates/{certificate['id']}/revoke",
        json={"reason": "Issued in error"},
        headers=cast.admin.headers,
    )
    assert revoked.status_code == 200
    assert await bit() is True


def test_campus_verifier_accepts_1edtech_signed_example_and_rejects_it_altered() -> None:
    proofs.verify(EXAMPLE)
    for path, value in (
        (("name",), "Teamwork Badge (forged)"),
        (("credentialSubject", "id"), "did:example:someone-else"),
        (("credentialSubject", "achievement", "criteria", "narrative"), "Anyone."),
    ):
        altered = copy.deepcopy(EXAMPLE)
        target = altered
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(proofs.ProofError):
            proofs.verify(altered)
    unsigned = copy.deepcopy(EXAMPLE)
    del unsigned["proof"]
    with pytest.raises(proofs.ProofError):
        proofs.verify(unsigned)


def test_a_credential_naming_a_context_campus_does_not_ship_is_refused_not_fetched() -> None:
    altered = copy.deepcopy(EXAMPLE)
    altered["@context"] = [*altered["@context"], "https://example.com/evil-context.json"]
    with pytest.raises(proofs.ProofError):
        proofs.verify(altered)
