"""Bulk reissue after a template change (a job with progress), revocation when an
enrollment is revoked for cause (configurable), and staff scoping of course lists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient

from campus.config import Settings
from campus.kernel.jobs import Relay
from campus.learning.events import Unenrolled
from tests.credentials.helpers import complete, my_certificates, published_course, set_rule
from tests.fixtures.catalog import API
from tests.fixtures.learning import LearningFactory


async def test_a_template_change_reissues_its_certificates_in_a_job_with_progress(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    created = await client.post(
        f"{API}/certificate-templates",
        json={"name": "Fixed", "texts": {"en": {"title": "Certificate"}}},
        headers=cast.admin.headers,
    )
    template_id = created.json()["id"]
    await set_rule(client, cast.owner, course, templateId=template_id)
    learners = [await learning.learner(name) for name in ("Ana", "Ben", "Cai")]
    for learner in learners:
        await complete(learning, relay, course, learner)

    refused = await client.post(
        f"{API}/certificate-templates/{template_id}/reissue",
        json={"reason": "Typo fixed"},
        headers=cast.owner.headers,
    )
    assert refused.status_code == 403
    started = await client.post(
        f"{API}/certificate-templates/{template_id}/reissue",
        json={"reason": "Typo fixed"},
        headers=cast.admin.headers,
    )
    assert started.status_code == 202, started.text
    run: dict[str, Any] = started.json()
    assert (run["status"], run["total"], run["done"]) == ("running", 3, 0)
    await relay.drain()
    progress = await client.get(
        f"{API}/certificate-reissues/{run['id']}", headers=cast.admin.headers
    )
    assert (progress.json()["status"], progress.json()["done"]) == ("done", 3)
    for learner in learners:
        [certificate] = await my_certificates(client, learner)
        assert (certificate["revision"], certificate["renderStatus"]) == (2, "ready")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(credentials_revoke_on_enrollment_revoked=True)


async def test_an_enrollment_revoked_for_cause_revokes_its_certificates_when_configured(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner()
    other = await learning.learner("Otto")
    await complete(learning, relay, course, learner)
    await complete(learning, relay, course, other)
    for who, reason in ((learner, "revoked_by_admin"), (other, "cancelled_by_user")):
        await learning.publish_assessment(
            Unenrolled(
                enrollment_id=uuid.uuid4(),
                user_id=who.id,
                course_id=uuid.UUID(course.id),
                reason=reason,
                at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    await relay.drain()
    [revoked] = await my_certificates(client, learner)
    assert (revoked["status"], revoked["revocationReason"]) == ("revoked", "Enrollment revoked")
    [kept] = await my_certificates(client, other)
    assert kept["status"] == "issued"
