"""Assignments and exams: submissions, late policies, resubmission, grading with marks, rubrics
and letter grades, revision requests, grade history, events and object-level access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.assessment import API, AssessmentFactory
from tests.fixtures.catalog import ok

RUBRIC = [
    {
        "title": "Correctness",
        "levels": [
            {"label": "Poor", "points": 0},
            {"label": "Good", "points": 30},
            {"label": "Excellent", "points": 60},
        ],
    },
    {
        "title": "Style",
        "levels": [{"label": "Messy", "points": 0}, {"label": "Clean", "points": 40}],
    },
]


async def _payloads(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.payload)
            .where(OutboxMessage.name == name)
            .order_by(OutboxMessage.id)
        )
        return [dict(p) for p in rows.scalars()]


async def test_submit_grade_with_rubric_and_letter_then_the_learner_sees_the_feedback(
    assessment: AssessmentFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world, rubric=RUBRIC, passingMarks=50)
    submitted = await assessment.handed_in(world.learner, work["id"])
    assert submitted["status"] == "submitted"
    assert submitted["grade"] is None
    assert len(await _payloads(db, "assessment.assignment_submitted")) == 1
    graded = ok(
        await client.post(
            f"{API}/submissions/{submitted['id']}/grade",
            json={"rubric": {"c1": 2, "c2": 1}, "feedback": "Well structured."},
            headers=world.instructor.headers,
        )
    )
    assert graded["status"] == "graded"
    assert graded["grade"]["marks"] == "100.00"
    assert graded["grade"]["letterGrade"] == "A"
    assert graded["grade"]["passed"] is True
    mine = ok(
        await client.get(f"{API}/submissions/{submitted['id']}", headers=world.learner.headers)
    )
    assert mine["grade"]["feedback"] == "Well structured."
    events = await _payloads(db, "assessment.assignment_graded")
    assert events[0]["passed"] is True
    assert events[0]["assignmentId"] == work["id"]
    assert events[0]["userId"] == str(world.learner.id)
    # A regrade is kept in the history.
    ok(
        await client.post(
            f"{API}/submissions/{submitted['id']}/grade",
            json={"marks": "45", "feedback": "Regraded."},
            headers=world.instructor.headers,
        )
    )
    history = ok(
        await client.get(
            f"{API}/submissions/{submitted['id']}/grade-history", headers=world.learner.headers
        )
    )["items"]
    assert [h["marks"] for h in history] == ["100.00", "45.00"]
    assert [h["letterGrade"] for h in history] == ["A", "F"]
    # Graded work cannot be resubmitted.
    again = await client.post(
        f"{API}/assignments/{work['id']}/submissions", json={}, headers=world.learner.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_graded"


async def test_a_custom_grade_scale_decides_the_letter(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    bands = {
        "bands": [{"letter": "P", "minPercent": 50}, {"letter": "NP", "minPercent": 0}],
        "passPercent": 50,
    }
    ok(
        await client.put(
            f"{API}/courses/{world.course_id}/grading-settings",
            json=bands,
            headers=world.instructor.headers,
        )
    )
    work = await assessment.assignment(world, maxMarks=20, passingMarks=10)
    sub = await assessment.handed_in(world.learner, work["id"])
    graded = ok(
        await client.post(
            f"{API}/submissions/{sub['id']}/grade",
            json={"marks": 11},
            headers=world.instructor.headers,
        )
    )
    assert graded["grade"]["scorePercent"] == "55.00"
    assert graded["grade"]["letterGrade"] == "P"


async def test_late_policies_accept_penalise_and_refuse(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    now = clock.freeze()
    due = (now + timedelta(minutes=1)).isoformat()
    accept = await assessment.assignment(world, dueAt=due)
    penalty = await assessment.assignment(
        world, dueAt=due, latePolicy="penalty", latePenaltyPercentPerDay=10
    )
    refuse = await assessment.assignment(world, dueAt=due, latePolicy="refuse")
    refused_draft = ok(
        await client.post(
            f"{API}/assignments/{refuse['id']}/submissions",
            json={"textAnswer": "x"},
            headers=world.learner.headers,
        ),
        201,
    )
    clock.advance(minutes=3)
    late = await assessment.handed_in(world.learner, accept["id"])
    assert late["status"] == "late"
    assert late["isLate"] is True
    assert late["daysLate"] == 1
    penalised = await assessment.handed_in(world.learner, penalty["id"])
    graded = ok(
        await client.post(
            f"{API}/submissions/{penalised['id']}/grade",
            json={"marks": 80},
            headers=world.instructor.headers,
        )
    )
    assert graded["grade"]["penaltyPercent"] == 10
    assert graded["grade"]["finalMarks"] == "72.00"
    refused = await client.post(
        f"{API}/submissions/{refused_draft['id']}/submit", headers=world.learner.headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "late_submission_refused"
    new = await client.post(
        f"{API}/assignments/{refuse['id']}/submissions", json={}, headers=world.learner.headers
    )
    assert new.status_code == 409


async def test_revision_request_allows_a_resubmission_up_to_the_limit(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world, maxSubmissions=2)
    first = await assessment.handed_in(world.learner, work["id"])
    revised = ok(
        await client.post(
            f"{API}/submissions/{first['id']}/revision-request",
            json={"feedback": "Add tests."},
            headers=world.instructor.headers,
        )
    )
    assert revised["status"] == "revision_required"
    second = await assessment.handed_in(world.learner, work["id"], text="with tests")
    assert second["attemptNumber"] == 2
    ok(
        await client.post(
            f"{API}/submissions/{second['id']}/revision-request",
            json={"feedback": "Still not."},
            headers=world.instructor.headers,
        )
    )
    third = await client.post(
        f"{API}/assignments/{work['id']}/submissions", json={}, headers=world.learner.headers
    )
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "submission_limit_reached"


async def test_an_exam_runs_against_its_duration_and_is_graded(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    exam = await assessment.assignment(world, "exams", durationMinutes=5, maxSubmissions=1)
    clock.freeze()
    started = ok(
        await client.post(f"{API}/exams/{exam['id']}/submissions", headers=world.learner.headers),
        201,
    )
    assert started["status"] == "in_progress"
    assert started["deadlineAt"] is not None
    ok(
        await client.patch(
            f"{API}/submissions/{started['id']}",
            json={"textAnswer": "essay"},
            headers=world.learner.headers,
        )
    )
    clock.advance(minutes=6)  # access tokens live 15 minutes
    refused = await client.patch(
        f"{API}/submissions/{started['id']}",
        json={"textAnswer": "more"},
        headers=world.learner.headers,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "deadline_passed"
    handed = ok(
        await client.post(
            f"{API}/submissions/{started['id']}/submit", headers=world.learner.headers
        )
    )
    # Past deadline + grace, handing in closes the exam with what was saved, at the deadline.
    assert handed["status"] == "submitted"
    assert handed["autoSubmitted"] is True
    assert handed["submittedAt"] == started["deadlineAt"]
    assert handed["textAnswer"] == "essay"
    again = await client.post(
        f"{API}/exams/{exam['id']}/submissions", headers=world.learner.headers
    )
    assert again.status_code == 409


async def test_learners_and_foreign_instructors_cannot_see_or_grade_others_work(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world)
    sub = await assessment.handed_in(world.learner, work["id"])
    url = f"{API}/submissions/{sub['id']}"
    for spy in (world.other_learner, world.other_instructor, world.outsider):
        assert (await client.get(url, headers=spy.headers)).status_code == 404
        assert (
            await client.post(f"{url}/grade", json={"marks": 100}, headers=spy.headers)
        ).status_code == 404
        assert (await client.get(f"{url}/grade-history", headers=spy.headers)).status_code == 404
    own = await client.post(f"{url}/grade", json={"marks": 100}, headers=world.learner.headers)
    assert own.status_code == 403
    listed = ok(
        await client.get(
            f"{API}/assignments/{work['id']}/submissions", headers=world.other_learner.headers
        )
    )
    assert listed["items"] == []
    # Mass assignment: a learner cannot set the score or status of their submission.
    for extra in ({"status": "graded"}, {"score": 100}, {"marks": 100}):
        bad = await client.patch(
            url, json={"textAnswer": "x", **extra}, headers=world.learner.headers
        )
        assert bad.status_code == 422
    unchanged = ok(await client.get(url, headers=world.learner.headers))
    assert unchanged["status"] == "submitted"
    assert unchanged["grade"] is None
    # The foreign instructor's queue does not list it.
    queue = await client.get(
        f"{API}/grading/queue?courseId={world.course_id}", headers=world.other_instructor.headers
    )
    assert queue.status_code == 403
    admin = ok(await client.get(f"{API}/grading/queue", headers=world.admin.headers))
    assert [i["submissionId"] for i in admin["items"]] == [sub["id"]]


async def test_assignment_analysis_is_written_by_staff_and_read_by_the_learner_once_graded(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world)
    sub = await assessment.handed_in(world.learner, work["id"])
    body = {
        "analysisType": "MANUAL",
        "strengths": ["Clear naming"],
        "weaknesses": ["No tests"],
        "suggestions": ["Add unit tests"],
        "overallScore": 70,
    }
    url = f"{API}/submissions/{sub['id']}/analysis"
    assert (await client.put(url, json=body, headers=world.learner.headers)).status_code == 403
    ok(await client.put(url, json=body, headers=world.instructor.headers))
    assert (await client.get(url, headers=world.learner.headers)).status_code == 404
    ok(
        await client.post(
            f"{API}/submissions/{sub['id']}/grade",
            json={"marks": 70},
            headers=world.instructor.headers,
        )
    )
    seen = ok(await client.get(url, headers=world.learner.headers))
    assert seen["strengths"] == ["Clear naming"]
    assert seen["analysisType"] == "MANUAL"


async def test_a_setting_that_cannot_be_empty_given_as_null_on_create_is_a_422_creating_nothing(
    assessment: AssessmentFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    for kind in ("assignments", "exams"):
        for field in ("maxFileBytes", "maxMarks", "submissionTypes"):
            refused = await client.post(
                f"{API}/courses/{world.course_id}/{kind}",
                json={"title": "Null setting", "durationMinutes": 30, field: None},
                headers=world.instructor.headers,
            )
            assert refused.status_code == 422, (kind, field, refused.text)
            assert refused.json()["error"]["details"]["fields"][0]["field"] == field
    listed = ok(
        await client.get(
            f"{API}/courses/{world.course_id}/assignments", headers=world.instructor.headers
        )
    )
    assert listed["total"] == 0
