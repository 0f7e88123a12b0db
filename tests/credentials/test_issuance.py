"""Issuing certificates: on completion, on a late grade, after approval; never twice."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from httpx import AsyncClient

from campus.assessment.events import AssignmentGraded
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.credentials.helpers import (
    certificates_of,
    complete,
    credential_events,
    my_certificates,
    published_course,
    set_rule,
)
from tests.fixtures.catalog import API
from tests.fixtures.learning import LearningFactory

NUMBER = re.compile(r"^CAMPUS-\d{4}-[0-9A-HJKMNP-TV-Z]{6}$")
CODE = re.compile(r"^CERT-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$")


async def test_completing_a_course_issues_one_certificate_with_number_code_and_event(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner("Zoë")
    await complete(learning, relay, course, learner)

    [certificate] = await my_certificates(client, learner)
    assert certificate["status"] == "issued"
    assert certificate["courseId"] == course.id
    assert certificate["versionId"] == course.version_id
    assert NUMBER.match(certificate["number"]), certificate["number"]
    assert CODE.match(certificate["verificationCode"]), certificate["verificationCode"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", certificate["publicId"])
    assert certificate["renderStatus"] == "ready"  # the rendering job ran in the drain
    issued = [p for n, p in await learning.events("credentials.") if n.endswith("issued")]
    assert len(issued) == 1
    assert issued[0]["publicId"] == certificate["publicId"]
    assert issued[0]["userId"] == str(learner.id)


async def test_public_ids_of_consecutive_certificates_share_no_prefix(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, course = await published_course(learning)
    ids = []
    for name in ("Ana", "Ben", "Cai"):
        learner = await learning.learner(name)
        await complete(learning, relay, course, learner)
        ids.append((await my_certificates(client, learner))[0]["publicId"])
    assert len({i[:4] for i in ids}) == 3


async def test_a_course_without_certificate_issues_none(
    learning: LearningFactory, relay: Relay, db: Database
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, hasCertificate=False)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    assert await certificates_of(db, learner.id) == []


async def test_completion_without_the_required_grade_gives_none_and_passing_later_gives_one(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    cast, course = await published_course(learning)
    exam_id = uuid.uuid4()
    await set_rule(client, cast.owner, course, requiredItemIds=[str(exam_id)])
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    assert await certificates_of(db, learner.id) == []

    failed = AssignmentGraded(
        submission_id=uuid.uuid4(),
        user_id=learner.id,
        course_id=uuid.UUID(course.id),
        assignment_id=exam_id,
        lesson_id=None,
        kind="exam",
        score_percent=Decimal("40.00"),
        letter_grade=None,
        passed=False,
        graded_by=cast.owner.id,
        graded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    await learning.publish_assessment(failed)
    await relay.drain()
    assert await certificates_of(db, learner.id) == []

    await learning.publish_assessment(
        failed.model_copy(update={"passed": True, "score_percent": Decimal("90.00")})
    )
    await relay.drain()
    [certificate] = await certificates_of(db, learner.id)
    assert certificate.status == "issued"


async def test_manual_approval_holds_the_certificate_until_an_instructor_approves(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    cast, course = await published_course(learning)
    await set_rule(client, cast.owner, course, manualApproval=True)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    [pending] = await certificates_of(db, learner.id)
    assert pending.status == "pending"
    assert await credential_events(learning) == []
    # the learner does not see it yet as issued; another instructor cannot approve
    other = await client.post(
        f"{API}/certificates/{pending.id}/approve", headers=cast.other.headers
    )
    assert other.status_code == 404
    listing = await client.get(
        f"{API}/courses/{course.id}/certificates?status=pending", headers=cast.owner.headers
    )
    assert [c["id"] for c in listing.json()["items"]] == [str(pending.id)]

    approved = await client.post(
        f"{API}/certificates/{pending.id}/approve", headers=cast.owner.headers
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "issued"
    again = await client.post(
        f"{API}/certificates/{pending.id}/approve", headers=cast.owner.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "certificate_not_pending"
    assert await credential_events(learning) == ["credentials.certificate_issued"]


async def test_a_rejected_certificate_is_not_issued_and_keeps_its_reason(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    cast, course = await published_course(learning)
    await set_rule(client, cast.owner, course, manualApproval=True)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    [pending] = await certificates_of(db, learner.id)
    rejected = await client.post(
        f"{API}/certificates/{pending.id}/reject",
        json={"reason": "Plagiarised final project"},
        headers=cast.owner.headers,
    )
    assert rejected.status_code == 200
    assert rejected.json()["rejectionReason"] == "Plagiarised final project"
    assert await my_certificates(client, learner) == []


async def test_replayed_completion_events_issue_once(
    learning: LearningFactory, relay: Relay, db: Database
) -> None:
    from campus.learning.events import CourseCompleted

    _, course = await published_course(learning)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    replay = CourseCompleted(
        enrollment_id=uuid.uuid4(),
        user_id=learner.id,
        course_id=uuid.UUID(course.id),
        version_id=uuid.UUID(course.version_id),
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for _ in range(3):
        await learning.publish_assessment(replay)
    await relay.drain()
    assert len(await certificates_of(db, learner.id)) == 1
    assert await credential_events(learning) == ["credentials.certificate_issued"]


async def test_only_the_course_staff_set_certificate_rules(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    url = f"{API}/courses/{course.id}/versions/{course.version_id}/certificate-rule"
    for who, status in ((cast.student, 403), (cast.other, 403), (cast.owner, 200)):
        response = await client.put(url, json={"manualApproval": True}, headers=who.headers)
        assert response.status_code == status, (who.roles, response.text)
    unknown = await client.put(
        f"{API}/courses/{course.id}/versions/{uuid.uuid4()}/certificate-rule",
        json={},
        headers=cast.owner.headers,
    )
    assert unknown.status_code == 404


async def test_completion_below_the_minimum_average_quiz_score_gives_none_until_a_retake_passes(
    learning: LearningFactory,
    relay: Relay,
    client: AsyncClient,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from campus.assessment.data import QuizResult
    from campus.assessment.events import QuizPassed

    quiz_a, quiz_b = uuid.uuid4(), uuid.uuid4()
    scores = {quiz_a: Decimal("90.00"), quiz_b: Decimal("40.00")}

    async def quiz_results(
        session: object, user_id: uuid.UUID, course_id: uuid.UUID
    ) -> dict[uuid.UUID, QuizResult]:
        # assessment's answer for the learner's quizzes (its own tests cover the scoring)
        return {q: QuizResult(q, 1, s, s >= 50) for q, s in scores.items()}

    monkeypatch.setattr("campus.assessment.api.quiz_results", quiz_results)
    cast, course = await published_course(learning)
    await set_rule(client, cast.owner, course, minAverageQuizScore=70)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    assert await certificates_of(db, learner.id) == []  # average 65 < 70

    scores[quiz_b] = Decimal("80.00")  # a retake
    await learning.publish_assessment(
        QuizPassed(
            user_id=learner.id,
            course_id=uuid.UUID(course.id),
            quiz_id=quiz_b,
            lesson_id=None,
            attempt_id=uuid.uuid4(),
            score_percent=Decimal("80.00"),
        )
    )
    await relay.drain()
    [certificate] = await certificates_of(db, learner.id)
    assert certificate.status == "issued"
    assert certificate.details["score"] == "85.00"


async def test_a_course_certificates_are_listed_to_its_staff_only(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    cast, course = await published_course(learning)
    learner = await learning.learner()
    await complete(learning, relay, course, learner)
    url = f"{API}/courses/{course.id}/certificates"
    for who, status in (
        (cast.student, 403),
        (cast.other, 403),
        (learner, 403),
        (cast.owner, 200),
        (cast.admin, 200),
    ):
        response = await client.get(url, headers=who.headers)
        assert response.status_code == status, who.roles
    listed = await client.get(url, params={"status": "issued"}, headers=cast.owner.headers)
    assert listed.json()["total"] == 1
