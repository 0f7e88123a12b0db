"""The demo data: the Python track's quiz lesson and assignment lesson point at the quiz and the
assignment the assessment demo creates (and the quiz points back at its lesson)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from campus.assessment.demo import QUIZ_TITLE
from campus.assessment.models import Assignment, Quiz
from campus.catalog import api as catalog
from campus.kernel.errors import ValidationFailed
from tests.fixtures.demo import DemoWorld


async def test_the_demo_quiz_lesson_points_at_the_demo_quiz_and_the_assignment_lesson_at_its_work(
    demo: DemoWorld,
) -> None:
    async with demo.db.read_session() as session:
        quiz = (await session.scalars(sa.select(Quiz).where(Quiz.title == QUIZ_TITLE))).one()
        work = (
            await session.scalars(sa.select(Assignment).where(Assignment.kind == "assignment"))
        ).one()
        assert quiz.lesson_id is not None
        assert work.lesson_id is not None
        quiz_lesson = await catalog.get_lesson_content(session, quiz.lesson_id)
        work_lesson = await catalog.get_lesson_content(session, work.lesson_id)
        course = await catalog.get_course_summary(session, quiz.course_id)
        assert course is not None
        assert course.current_version_id is not None
        structure = await catalog.get_version_structure(session, course.current_version_id)
        ids = (quiz.id, quiz.lesson_id, work.id)
    quiz_id, quiz_lesson_id, work_id = ids
    assert quiz_lesson is not None
    assert work_lesson is not None
    assert structure is not None
    assert (quiz_lesson.title, quiz_lesson.type.value) == ("Functions Quiz", "quiz")
    assert quiz_lesson.quiz_id == quiz_id
    assert work_lesson.assignment_id == work_id
    outlines = {x.id: x for m in structure.modules for x in m.lessons}
    assert outlines[quiz_lesson_id].quiz_id == quiz_id


async def test_a_lesson_links_only_to_an_assessment_of_its_own_type_and_course(
    demo: DemoWorld,
) -> None:
    async with demo.db.read_session() as session:
        quiz = (await session.scalars(sa.select(Quiz).where(Quiz.title == QUIZ_TITLE))).one()
        work = (
            await session.scalars(sa.select(Assignment).where(Assignment.kind == "assignment"))
        ).one()
        quiz_id, lesson_id, course_id, work_id = quiz.id, quiz.lesson_id, quiz.course_id, work.id
    assert lesson_id is not None
    refusals = [
        {"course_id": course_id, "assignment_id": work_id},  # a quiz lesson
        {"course_id": uuid.uuid4(), "quiz_id": quiz_id},  # another course's lesson
        {"course_id": course_id},  # nothing to link
        {"course_id": course_id, "quiz_id": quiz_id, "assignment_id": work_id},
    ]
    for arguments in refusals:
        async with demo.db.read_session() as session:
            with pytest.raises(ValidationFailed):
                await catalog.set_lesson_assessment(session, lesson_id, **arguments)
    async with demo.db.read_session() as session:
        lesson = await catalog.get_lesson_content(session, lesson_id)
    assert lesson is not None
    assert (lesson.quiz_id, lesson.assignment_id) == (quiz_id, None)
