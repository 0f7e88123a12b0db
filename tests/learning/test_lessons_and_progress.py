"""Lesson access, locks, views, completion (manual, video, assessment events), module and course
progress, completion once, and the resume point."""

from __future__ import annotations

import uuid
from decimal import Decimal

from httpx import AsyncClient

from campus.assessment.events import AssignmentGraded, QuizPassed
from campus.kernel.clock import clock, utcnow
from campus.kernel.jobs import Relay
from tests.fixtures.catalog import API, ok
from tests.fixtures.learning import LearningFactory, LessonSpec, ModuleSpec, text, video


def _quiz_passed(user_id: uuid.UUID, course_id: str, quiz_id: str) -> QuizPassed:
    return QuizPassed(
        user_id=user_id,
        course_id=uuid.UUID(course_id),
        quiz_id=uuid.UUID(quiz_id),
        lesson_id=None,
        attempt_id=uuid.uuid4(),
        score_percent=Decimal("100.00"),
    )


def _assignment_graded(
    user_id: uuid.UUID, course_id: str, assignment_id: str, lesson_id: str | None, *, passed: bool
) -> AssignmentGraded:
    return AssignmentGraded(
        submission_id=uuid.uuid4(),
        user_id=user_id,
        course_id=uuid.UUID(course_id),
        assignment_id=uuid.UUID(assignment_id),
        lesson_id=uuid.UUID(lesson_id) if lesson_id else None,
        kind="assignment",
        score_percent=Decimal("80.00" if passed else "20.00"),
        letter_grade=None,
        passed=passed,
        graded_by=uuid.uuid4(),
        graded_at=utcnow(),
    )


async def test_lesson_content_is_for_enrolled_learners_and_the_course_staff(
    learning: LearningFactory,
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    lesson_id = course.lesson_id(0, 0)

    outsider = await learning.open(cast.student, lesson_id)
    assert (outsider.status_code, outsider.json()["error"]["code"]) == (403, "enrollment_required")
    assert "Secret content" not in outsider.text
    assert (await learning.open(cast.student, str(uuid.uuid4()))).status_code == 404

    for staff in (cast.owner, cast.admin):
        view = ok(await learning.open(staff, lesson_id))
        assert "Secret content" in view["body"]
        assert view["enrollmentId"] is None
        assert view["progress"] is None
    other_instructor = await learning.open(cast.other, lesson_id)
    assert other_instructor.status_code == 403

    enrollment = await learning.enroll(cast.student, course)
    view = ok(await learning.open(cast.student, lesson_id))
    assert "Secret content" in view["body"]
    assert view["attachments"][0]["name"] == "notes.pdf"
    assert view["enrollmentId"] == enrollment["id"]
    assert view["progress"]["viewCount"] == 1
    assert view["progress"]["status"] == "in_progress"


async def test_draft_lessons_are_hidden_from_learners(learning: LearningFactory) -> None:
    cast = await learning.cast()
    draft = await learning.draft(cast.owner)
    authoring = await learning.catalog.authoring(cast.owner, draft["id"])
    lesson_id = authoring["curriculum"][0]["lessons"][0]["id"]
    assert (await learning.open(cast.student, lesson_id)).status_code == 404
    assert (await learning.open(cast.owner, lesson_id)).status_code == 200


async def test_views_are_counted_and_the_first_one_starts_the_lesson_once(
    learning: LearningFactory, frozen_clock: object
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    await learning.enroll(cast.student, course)
    first = ok(await learning.open(cast.student, course.lesson_id(0, 0)))
    clock.advance(minutes=5)
    second = ok(await learning.open(cast.student, course.lesson_id(0, 0)))
    assert second["progress"]["viewCount"] == 2
    assert second["progress"]["startedAt"] == first["progress"]["startedAt"]
    assert second["progress"]["lastViewedAt"] > first["progress"]["lastViewedAt"]
    assert (await learning.event_names()).count("learning.lesson_started") == 1


async def test_a_sequential_module_opens_each_lesson_after_the_previous_required_one(
    learning: LearningFactory,
) -> None:
    cast = await learning.cast()
    spec = ModuleSpec([text(), text(required=False), text()], sequential=True)
    course = await learning.course(cast.owner, cast.admin, [spec])
    enrollment = await learning.enroll(cast.student, course)
    first, optional, third = (course.lesson_id(0, i) for i in range(3))

    assert (await learning.open(cast.student, optional)).status_code == 403
    locked = await learning.open(cast.student, third)
    assert locked.status_code == 403
    error = locked.json()["error"]
    assert error["code"] == "lesson_locked"
    assert error["details"]["locked"] is True
    assert error["details"]["reason"] == "previous_lesson_incomplete"
    assert error["details"]["blockingLessonId"] == first
    assert (await learning.complete(cast.student, third)).status_code == 403

    outline = await learning.progress(cast.student, enrollment["id"])
    states = {x["id"]: x for x in outline["modules"][0]["lessons"]}
    assert states[first]["lock"] is None
    assert states[third]["lock"]["reason"] == "previous_lesson_incomplete"
    assert states[third]["lock"]["blockingLessonId"] == first

    ok(await learning.complete(cast.student, first))
    # The optional lesson does not block the third one.
    assert (await learning.open(cast.student, third)).status_code == 200
    assert (await learning.open(cast.student, optional)).status_code == 200
    # Staff are never locked out.
    assert (await learning.open(cast.owner, third)).status_code == 200


async def test_a_locked_module_opens_when_the_previous_module_is_complete(
    learning: LearningFactory,
) -> None:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner, cast.admin, [ModuleSpec([text(), text()]), ModuleSpec([text()], locked=True)]
    )
    enrollment = await learning.enroll(cast.student, course)
    locked = await learning.open(cast.student, course.lesson_id(1, 0))
    details = locked.json()["error"]["details"]
    assert details["reason"] == "previous_module_incomplete"
    assert details["blockingLessonId"] == course.lesson_id(0, 0)
    assert details["blockingModuleId"] == course.modules[0]["id"]

    ok(await learning.complete(cast.student, course.lesson_id(0, 1)))
    still = await learning.open(cast.student, course.lesson_id(1, 0))
    assert still.json()["error"]["details"]["blockingLessonId"] == course.lesson_id(0, 0)
    ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    assert (await learning.open(cast.student, course.lesson_id(1, 0))).status_code == 200
    outline = await learning.progress(cast.student, enrollment["id"])
    assert outline["modules"][0]["status"] == "completed"
    assert outline["modules"][0]["completedAt"] is not None
    assert outline["modules"][1]["status"] == "in_progress"


async def test_progress_counts_required_items_and_the_course_completes_once(
    learning: LearningFactory, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner,
        cast.admin,
        [ModuleSpec([text(), text(required=False)]), ModuleSpec([text(), text()])],
    )
    enrollment = await learning.enroll(cast.student, course)
    assert (enrollment["totalItems"], enrollment["progressPercent"]) == (3, 0)

    first = ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    assert (first["completedItems"], first["totalItems"], first["courseProgressPercent"]) == (
        1,
        3,
        33,
    )
    again = ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    assert again["completedItems"] == 1  # idempotent
    optional = ok(await learning.complete(cast.student, course.lesson_id(0, 1)))
    assert optional["completedItems"] == 1  # optional lessons are not items
    ok(await learning.complete(cast.student, course.lesson_id(1, 0)))
    last = ok(await learning.complete(cast.student, course.lesson_id(1, 1)))
    assert (last["courseProgressPercent"], last["enrollmentStatus"]) == (100, "completed")
    ok(await learning.complete(cast.student, course.lesson_id(1, 1)))

    names = await learning.event_names()
    assert names.count("learning.course_completed") == 1
    assert names.count("learning.module_completed") == 2
    assert names.count("learning.lesson_completed") == 4
    payload = dict(await learning.events("learning.course_completed"))["learning.course_completed"]
    assert payload["enrollmentId"] == enrollment["id"]
    assert payload["versionId"] == course.version_id
    after = await learning.enrollment(cast.student, enrollment["id"])
    assert after["status"] == "completed"
    assert after["completedAt"] is not None
    # Completed learners keep their access.
    assert (await learning.open(cast.student, course.lesson_id(0, 0))).status_code == 200


async def test_a_video_completes_once_ninety_percent_was_watched(
    learning: LearningFactory, frozen_clock: object
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([video(100), text()])])
    enrollment = await learning.enroll(cast.student, course)
    lesson = course.lesson_id(0, 0)
    ok(await learning.start(cast.student, lesson))
    early = await learning.complete(cast.student, lesson)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "video_not_watched")

    for second in range(10, 90, 10):
        clock.advance(seconds=10)
        beat = ok(await learning.heartbeat(cast.student, lesson, second, 10))
        assert (beat["watchedSeconds"], beat["completed"]) == (second, False)
    clock.advance(seconds=10)
    beat = ok(await learning.heartbeat(cast.student, lesson, 90, 10))
    assert beat == {
        "lessonId": lesson,
        "positionSeconds": 90,
        "watchedSeconds": 90,
        "durationSeconds": 100,
        "requiredSeconds": 90,
        "completed": True,
    }
    state = await learning.progress(cast.student, enrollment["id"])
    video_state = state["modules"][0]["lessons"][0]
    assert video_state["status"] == "completed"
    assert video_state["positionSeconds"] == 90
    completed = [p for n, p in await learning.events() if n == "learning.lesson_completed"]
    assert [p["completedBy"] for p in completed] == ["video"]
    # A later explicit completion is a no-op.
    assert ok(await learning.complete(cast.student, lesson))["progress"]["completedBy"] == "video"


async def test_quiz_and_assignment_lessons_complete_on_the_assessment_events(
    learning: LearningFactory, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner,
        cast.admin,
        [
            ModuleSpec(
                [
                    LessonSpec(type="quiz"),
                    LessonSpec(type="assignment"),
                    LessonSpec(type="code_example"),
                ]
            )
        ],
    )
    enrollment = await learning.enroll(cast.student, course)
    quiz, assignment = course.lesson(0, 0), course.lesson(0, 1)
    refused = await learning.complete(cast.student, quiz["id"])
    assert refused.json()["error"]["code"] == "completed_by_assessment"

    structure = ok(
        await learning.client.get(
            f"{API}/courses/{course.id}/versions/{course.version_id}", headers=cast.owner.headers
        )
    )
    lessons = structure["modules"][0]["lessons"]
    quiz_id, assignment_id = lessons[0]["quizId"], lessons[1]["assignmentId"]
    passed_quiz = _quiz_passed(cast.student.id, course.id, quiz_id)
    await learning.publish_assessment(passed_quiz)
    await learning.publish_assessment(passed_quiz)
    await learning.publish_assessment(
        _assignment_graded(cast.student.id, course.id, assignment_id, None, passed=False)
    )
    await relay.drain()
    mid = await learning.enrollment(cast.student, enrollment["id"])
    assert (mid["completedItems"], mid["totalItems"]) == (1, 3)

    await learning.publish_assessment(
        _assignment_graded(cast.student.id, course.id, assignment_id, assignment["id"], passed=True)
    )
    await relay.drain()
    ok(await learning.complete(cast.student, course.lesson_id(0, 2)))
    done = await learning.enrollment(cast.student, enrollment["id"])
    assert (done["completedItems"], done["status"]) == (3, "completed")
    by = [p["completedBy"] for n, p in await learning.events() if n == "learning.lesson_completed"]
    assert by == ["quiz", "assignment", "manual"]


async def test_assessment_events_for_learners_without_access_change_nothing(
    learning: LearningFactory, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([LessonSpec(type="quiz")])])
    await learning.publish_assessment(_quiz_passed(cast.student.id, course.id, str(uuid.uuid4())))
    # A payload the publisher's class cannot parse fails its delivery and changes nothing.
    await learning.publish_raw("assessment.quiz_passed", {"userId": "not-a-uuid"})
    await relay.drain()
    assert await learning.event_names() == []


async def test_continue_resumes_the_unfinished_lesson_then_moves_on(
    learning: LearningFactory, client: AsyncClient, frozen_clock: object
) -> None:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner, cast.admin, [ModuleSpec([text(), video(100)]), ModuleSpec([text()])]
    )
    enrollment = await learning.enroll(cast.student, course)
    url = f"{API}/enrollments/{enrollment['id']}/continue"
    start = ok(await client.get(url, headers=cast.student.headers))
    assert (start["reason"], start["lesson"]["id"]) == ("next", course.lesson_id(0, 0))
    assert start["lesson"]["moduleTitle"] == "Module 1"

    ok(await learning.start(cast.student, course.lesson_id(0, 1)))
    clock.advance(seconds=30)
    ok(await learning.heartbeat(cast.student, course.lesson_id(0, 1), 30, 30))
    resume = ok(await client.get(url, headers=cast.student.headers))
    assert (resume["reason"], resume["lesson"]["id"], resume["positionSeconds"]) == (
        "resume",
        course.lesson_id(0, 1),
        30,
    )
    ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    ok(await learning.complete(cast.student, course.lesson_id(1, 0)))
    clock.advance(seconds=60)
    ok(await learning.heartbeat(cast.student, course.lesson_id(0, 1), 90, 60))
    finished = ok(await client.get(url, headers=cast.student.headers))
    assert (finished["reason"], finished["lesson"]) == ("completed", None)
