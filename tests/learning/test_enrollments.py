"""Enrolling: free and paid courses, entitlements, version binding, cancel, re-enroll, revoke,
expiry, and the learning.api doorway."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from httpx import AsyncClient

from campus.kernel.clock import clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.learning import api as learning_api
from campus.learning.data import EnrollmentStatus, EntitlementSource
from campus.learning.models import Entitlement
from tests.fixtures.catalog import API, ok
from tests.fixtures.learning import LearningFactory, ModuleSpec, text


async def test_enrolling_in_a_free_course_binds_the_current_version_and_is_idempotent(
    learning: LearningFactory, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    first = await learning.enroll_response(cast.student, course.id)
    assert first.status_code == 201
    created = first.json()
    assert created["outcome"] == "created"
    assert created["status"] == "active"
    assert created["source"] == "free"
    assert created["versionId"] == course.version_id
    assert created["userId"] == str(cast.student.id)
    assert (created["completedItems"], created["totalItems"]) == (0, 1)

    again = await learning.enroll_response(cast.student, course.id)
    assert again.status_code == 200
    assert again.json()["outcome"] == "existing"
    assert again.json()["id"] == created["id"]
    assert len(await learning.enrollment_rows(course.id)) == 1

    events = await learning.events()
    assert [name for name, _ in events] == ["learning.enrolled"]
    payload = events[0][1]
    assert payload["enrollmentId"] == created["id"]
    assert payload["reactivated"] is False
    assert cast.student.email not in str(payload)  # ids only, no personal data

    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 1


async def test_a_paid_course_needs_an_entitlement_and_records_its_source_and_tier(
    learning: LearningFactory,
) -> None:
    cast = await learning.cast()
    course = await learning.paid_course(cast.owner, cast.admin)
    refused = await learning.enroll_response(cast.student, course.id)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "entitlement_required"
    assert await learning.enrollment_rows(course.id) == []

    grant = await learning.grant(cast.owner, course.id, cast.student, tier="pro")
    assert (grant["source"], grant["tier"], grant["status"]) == ("grant", "pro", "active")

    too_high = await learning.enroll_response(cast.student, course.id, tier="premium")
    assert too_high.status_code == 403
    assert too_high.json()["error"]["code"] == "tier_not_entitled"

    enrolled = await learning.enroll(cast.student, course, tier="basic")
    assert (enrolled["source"], enrolled["tier"]) == ("grant", "basic")


async def test_drafts_are_not_found_and_archived_courses_take_no_new_learners(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    draft = await learning.draft(cast.owner)
    missing = await learning.enroll_response(cast.student, draft["id"])
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "course_not_found")
    unknown = await learning.enroll_response(cast.student, str(uuid.uuid4()))
    assert unknown.status_code == 404

    course = await learning.course(cast.owner, cast.admin)
    keeper = await learning.learner("Keeper")
    kept = await learning.enroll(keeper, course)
    ok(await client.post(f"{API}/courses/{course.id}/archive", json={}, headers=cast.owner.headers))
    closed = await learning.enroll_response(cast.student, course.id)
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "course_closed")
    # Learners keep their access to an archived course.
    assert (await learning.open(keeper, course.lesson_id(0, 0))).status_code == 200
    assert (await learning.enrollment(keeper, kept["id"]))["status"] == "active"


async def test_a_payload_cannot_set_status_progress_or_another_learner(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    for extra in (
        {"status": "completed"},
        {"userId": str(cast.co.id)},
        {"progressPercent": 100},
        {"source": "grant"},
    ):
        response = await learning.enroll_response(cast.student, course.id, **extra)
        assert response.status_code == 422, extra
    assert await learning.enrollment_rows() == []


async def test_unenrolling_then_enrolling_again_reactivates_the_same_row_with_its_progress(
    learning: LearningFactory, client: AsyncClient, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    enrollment = await learning.enroll(cast.student, course)
    assert (await learning.complete(cast.student, course.lesson_id(0, 0))).status_code == 200

    url = f"{API}/enrollments/{enrollment['id']}"
    cancelled = ok(await client.delete(url, headers=cast.student.headers))
    assert cancelled["status"] == "cancelled_by_user"
    assert cancelled["endedAt"] is not None
    blocked = await learning.open(cast.student, course.lesson_id(0, 1))
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "enrollment_inactive")
    # Cancelling twice is fine; a cancelled enrollment has nothing more to cancel through POST.
    assert ok(await client.post(f"{url}/cancel", headers=cast.student.headers))["status"] == (
        "cancelled_by_user"
    )
    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 0

    back = await learning.enroll_response(cast.student, course.id)
    assert back.status_code == 201
    body = back.json()
    assert (body["outcome"], body["id"], body["status"]) == (
        "reactivated",
        enrollment["id"],
        "active",
    )
    assert (body["completedItems"], body["totalItems"], body["progressPercent"]) == (1, 2, 50)
    assert len(await learning.enrollment_rows(course.id)) == 1
    names = await learning.event_names()
    assert names.count("learning.enrolled") == 2
    assert names.count("learning.unenrolled") == 1
    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 1


async def test_an_admin_revokes_access_and_only_a_new_grant_brings_the_learner_back(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    enrollment = await learning.enroll(cast.student, course)
    url = f"{API}/enrollments/{enrollment['id']}/revoke"

    denied = await client.post(url, json={"reason": "x"}, headers=cast.owner.headers)
    assert denied.status_code == 403  # instructors see enrollments but do not revoke them
    revoked = ok(await client.post(url, json={"reason": "Abuse"}, headers=cast.admin.headers))
    assert revoked["status"] == "revoked_by_admin"

    again = await learning.enroll_response(cast.student, course.id)
    assert (again.status_code, again.json()["error"]["code"]) == (403, "enrollment_revoked")
    lesson = await learning.open(cast.student, course.lesson_id(0, 0))
    assert (lesson.status_code, lesson.json()["error"]["code"]) == (403, "enrollment_revoked")

    clock.freeze(utcnow() + timedelta(seconds=1))
    await learning.identity.start_session(cast.student)
    await learning.identity.start_session(cast.owner)
    await learning.grant(cast.owner, course.id, cast.student)
    restored = await learning.enroll_response(cast.student, course.id)
    assert restored.status_code == 201
    assert restored.json()["outcome"] == "reactivated"


async def test_an_enrollment_past_its_expiry_reads_as_expired_and_the_job_writes_it_down(
    learning: LearningFactory, relay: Relay, frozen_clock: object
) -> None:
    cast = await learning.cast()
    course = await learning.paid_course(cast.owner, cast.admin)
    expires = utcnow() + timedelta(days=2)
    await learning.grant(cast.admin, course.id, cast.student, expiresAt=expires.isoformat())
    enrollment = await learning.enroll(cast.student, course)
    assert enrollment["expiresAt"] is not None
    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 1

    clock.advance(days=3)
    await learning.identity.start_session(cast.student)
    assert (await learning.enrollment(cast.student, enrollment["id"]))["status"] == "expired"
    blocked = await learning.open(cast.student, course.lesson_id(0, 0))
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "enrollment_inactive")
    [row] = await learning.enrollment_rows(course.id)
    assert row.status == "active"  # on read only, until the job runs

    await relay.drain()  # the expiry job was scheduled for the expiry moment
    [row] = await learning.enrollment_rows(course.id)
    assert row.status == "expired"
    assert "learning.unenrolled" in await learning.event_names()
    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 0
    renew = await learning.enroll_response(cast.student, course.id)
    assert renew.json()["error"]["code"] == "entitlement_required"


async def test_the_doorway_answers_other_contexts_and_follows_entitlements(
    learning: LearningFactory, db: Database
) -> None:
    cast = await learning.cast()
    course = await learning.paid_course(cast.owner, cast.admin)
    other = await learning.learner("Other")
    course_id, student_id = uuid.UUID(course.id), cast.student.id

    async with db.session() as session:
        assert not await learning_api.is_enrolled(session, student_id, course_id)
        assert await learning_api.get_enrollment(session, student_id, course_id) is None
        granted = await learning_api.grant_entitlement(
            session,
            user_id=student_id,
            course_id=course_id,
            source=EntitlementSource.SUBSCRIPTION,
            reference="sub_123",
        )
        again = await learning_api.grant_entitlement(
            session,
            user_id=student_id,
            course_id=course_id,
            source="subscription",
            reference="sub_123",
            tier="premium",
        )
        assert again.id == granted.id
        assert again.tier == "premium"
        summary = await learning_api.enroll_user(session, student_id, course_id)
        assert summary.source == "subscription"
        assert summary.status is EnrollmentStatus.ACTIVE
    async with db.session() as session:
        assert await learning_api.is_enrolled(session, student_id, course_id)
        assert not await learning_api.is_enrolled(session, other.id, course_id)
        assert await learning_api.enrolled_user_ids(session, course_id) == [student_id]
        found = await learning_api.get_enrollment(session, student_id, course_id)
        assert found is not None
        assert found.has_access
        assert (
            await learning_api.revoke_entitlement(
                session,
                user_id=student_id,
                course_id=course_id,
                source=EntitlementSource.SUBSCRIPTION,
                reference="sub_123",
            )
            == 1
        )
    async with db.session() as session:
        lapsed = await learning_api.get_enrollment(session, student_id, course_id)
        assert lapsed is not None
        assert lapsed.status is EnrollmentStatus.EXPIRED
        assert not await learning_api.is_enrolled(session, student_id, course_id)
        count = await session.scalar(sa.select(sa.func.count()).select_from(Entitlement))
        assert count == 1


async def test_granting_by_email_and_listing_and_revoking_complimentary_access(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.paid_course(cast.owner, cast.admin)
    url = f"{API}/courses/{course.id}/entitlements"
    by_email = ok(
        await client.post(url, json={"email": cast.student.email}, headers=cast.owner.headers), 201
    )
    assert by_email["userId"] == str(cast.student.id)
    unknown = await client.post(
        url, json={"email": "nobody@example.com"}, headers=cast.owner.headers
    )
    assert unknown.status_code == 422
    both = await client.post(
        url,
        json={"email": cast.student.email, "userId": str(cast.student.id)},
        headers=cast.owner.headers,
    )
    assert both.status_code == 422
    past = await client.post(
        url,
        json={"userId": str(cast.student.id), "expiresAt": "2000-01-01T00:00:00Z"},
        headers=cast.owner.headers,
    )
    assert past.status_code == 422
    other = await client.post(
        url, json={"userId": str(cast.student.id)}, headers=cast.other.headers
    )
    assert other.status_code == 403
    listing = ok(await client.get(url, headers=cast.owner.headers))
    assert [e["id"] for e in listing["items"]] == [by_email["id"]]

    enrollment = await learning.enroll(cast.student, course)
    revoked = ok(await client.delete(f"{url}/{by_email['id']}", headers=cast.owner.headers))
    assert revoked["status"] == "revoked"
    after = await learning.enrollment(cast.student, enrollment["id"])
    assert after["status"] == "revoked_by_admin"
