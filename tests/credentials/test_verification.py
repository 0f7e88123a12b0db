"""Public verification: valid, expired, revoked, unknown and guessed ids; opting out; what
the answers show; the rate limit; counts without verifier data; reissue keeps the ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.credentials.models import CertificateVerification
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.credentials.helpers import (
    complete,
    credential_events,
    my_certificates,
    published_course,
    set_rule,
)
from tests.fixtures.catalog import API, Cast
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import LearningFactory

SHOWN = {
    "publicId",
    "number",
    "learnerName",
    "courseTitle",
    "issuer",
    "issuedAt",
    "expiresAt",
    "state",
    "revokedAt",
    "revocationReason",
}


async def issued(
    learning: LearningFactory, relay: Relay, client: AsyncClient, **rule: Any
) -> tuple[Cast, AppUser, dict[str, Any]]:
    cast, course = await published_course(learning)
    if rule:
        await set_rule(client, cast.owner, course, **rule)
    learner = await learning.learner("Ingrid")
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    return cast, learner, certificate


async def test_a_valid_certificate_verifies_without_login_and_shows_only_the_page_fields(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    _, learner, certificate = await issued(learning, relay, client)
    response = await client.get(f"{API}/verify/{certificate['publicId']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SHOWN
    assert body["state"] == "valid"
    assert body["learnerName"] == certificate["learnerName"]
    assert learner.email not in response.text
    assert str(learner.id) not in response.text
    assert certificate["verificationCode"] not in response.text
    assert "x-ratelimit-limit" in response.headers

    page = await client.get(f"/verify/{certificate['publicId']}")
    assert page.status_code == 200
    assert "Valid" in page.text
    assert certificate["courseTitle"] in page.text
    assert learner.email not in page.text

    async with db.read_session() as session:
        counted = await session.scalar(sa.select(CertificateVerification))
        assert counted is not None
        assert counted.count == 2
        columns = set(CertificateVerification.__table__.columns.keys())
    assert columns == {"certificate_id", "count", "last_verified_at"}


async def test_unknown_guessed_and_unissued_ids_answer_the_same_404(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, _, certificate = await issued(learning, relay, client)
    public_id = certificate["publicId"]
    guesses = [
        "0" * 26,
        public_id[:-1] + ("0" if public_id[-1] != "0" else "1"),
        certificate["verificationCode"],
        certificate["id"],
        certificate["number"],
        "ZZZZ-not-an-id",
    ]
    bodies = set()
    for guess in guesses:
        response = await client.get(f"{API}/verify/{guess}")
        assert response.status_code == 404, guess
        error = response.json()["error"]
        bodies.add((error["code"], error["message"]))
    assert bodies == {("certificate_not_found", "No such certificate.")}
    code = await client.post(f"{API}/verify", json={"code": "CERT-AAAA-AAAA"})
    assert code.status_code == 404
    assert code.json()["error"]["code"] == "certificate_not_found"


async def test_a_pending_certificate_does_not_verify(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, _, certificate = await issued(learning, relay, client, manualApproval=True)
    response = await client.get(f"{API}/verify/{certificate['publicId']}")
    assert response.status_code == 404


async def test_revocation_shows_at_once_with_its_date_and_reason(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, _, certificate = await issued(learning, relay, client)
    url = f"{API}/certificates/{certificate['id']}/revoke"
    refused = await client.post(url, json={"reason": "Fraud"}, headers=cast.owner.headers)
    assert refused.status_code == 403
    revoked = await client.post(
        url, json={"reason": "Identity fraud confirmed"}, headers=cast.admin.headers
    )
    assert revoked.status_code == 200, revoked.text
    body = (await client.get(f"{API}/verify/{certificate['publicId']}")).json()
    assert body["state"] == "revoked"
    assert body["revocationReason"] == "Identity fraud confirmed"
    assert body["revokedAt"] is not None
    page = await client.get(f"/verify/{certificate['publicId']}")
    assert "Revoked" in page.text
    assert "Identity fraud confirmed" in page.text
    again = await client.post(url, json={"reason": "Twice"}, headers=cast.admin.headers)
    assert again.status_code == 409
    assert await credential_events(learning) == [
        "credentials.certificate_issued",
        "credentials.certificate_revoked",
    ]


async def test_an_expired_certificate_verifies_as_expired(
    learning: LearningFactory, relay: Relay, client: AsyncClient, frozen_clock: Clock
) -> None:
    _, _, certificate = await issued(learning, relay, client, validMonths=12)
    assert certificate["expiresAt"] is not None
    frozen_clock.advance(days=400)
    body = (await client.get(f"{API}/verify/{certificate['publicId']}")).json()
    assert body["state"] == "expired"


async def test_an_opted_out_certificate_verifies_only_with_its_code(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, learner, certificate = await issued(learning, relay, client)
    changed = await client.patch(
        f"{API}/certificates/{certificate['id']}",
        json={"isPublic": False},
        headers=learner.headers,
    )
    assert changed.status_code == 200
    by_id = await client.get(f"{API}/verify/{certificate['publicId']}")
    assert by_id.status_code == 404
    with_code = await client.get(
        f"{API}/verify/{certificate['publicId']}",
        params={"code": certificate["verificationCode"].lower()},
    )
    assert with_code.status_code == 200
    by_code = await client.post(f"{API}/verify", json={"code": certificate["verificationCode"]})
    assert by_code.status_code == 200


async def test_verification_is_rate_limited_per_client(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, _, certificate = await issued(learning, relay, client)
    statuses = [(await client.get(f"{API}/verify/{'0' * 26}")).status_code for _ in range(60)]
    assert set(statuses) == {404}
    limited = await client.get(f"{API}/verify/{certificate['publicId']}")
    assert limited.status_code == 429
    assert "retry-after" in limited.headers


async def test_reissue_keeps_number_and_public_id_and_records_the_history(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, learner, certificate = await issued(learning, relay, client)
    reissued = await client.post(
        f"{API}/certificates/{certificate['id']}/reissue",
        json={"reason": "Name changed"},
        headers=cast.admin.headers,
    )
    assert reissued.status_code == 200, reissued.text
    assert reissued.json()["renderStatus"] == "queued"
    await relay.drain()
    [after] = await my_certificates(client, learner)
    assert (after["number"], after["publicId"]) == (certificate["number"], certificate["publicId"])
    assert after["revision"] == 2
    assert after["renderStatus"] == "ready"
    history = await client.get(
        f"{API}/certificates/{certificate['id']}/history", headers=learner.headers
    )
    assert [e["action"] for e in history.json()["entries"]] == ["issued", "reissued"]
    assert utcnow() is not None
