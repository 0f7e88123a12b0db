"""A quiz (or assignment) created for a lesson makes the lesson point at it, as any other way of
attaching it does; and error details name fields the way the API spells them (camelCase)."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.kernel.db import Database
from tests.fixtures.assessment import QUESTION_BODIES, AssessmentFactory, perfect_answer
from tests.fixtures.catalog import API, CatalogFactory, ok


async def _lesson_refs(db: Database, lesson_id: str) -> tuple[Any, Any]:
    async with db.session() as session:
        content = await catalog_api.get_lesson_content(session, uuid.UUID(lesson_id))
    assert content is not None
    return content.quiz_id, content.assignment_id


def _error_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [f["field"] for f in response.json()["error"]["details"]["fields"]]


async def test_creating_a_quiz_or_assignment_for_a_lesson_links_the_lesson(
    assessment: AssessmentFactory, catalog: CatalogFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    teacher = world.instructor
    course = await catalog.course(teacher)
    module = await catalog.module(teacher, course["id"])
    quiz_lesson = await catalog.lesson(teacher, course["id"], module["id"], type="quiz")
    work_lesson = await catalog.lesson(teacher, course["id"], module["id"], type="assignment")
    article = await catalog.lesson(teacher, course["id"], module["id"])
    base = f"{API}/courses/{course['id']}"

    quiz = ok(
        await client.post(
            f"{base}/quizzes",
            json={"title": "Check", "questionIds": [], "lessonId": quiz_lesson["id"]},
            headers=teacher.headers,
        ),
        201,
    )
    assert await _lesson_refs(db, quiz_lesson["id"]) == (uuid.UUID(quiz["id"]), None)
    work = ok(
        await client.post(
            f"{base}/assignments",
            json={"title": "Essay", "instructions": "Write.", "lessonId": work_lesson["id"]},
            headers=teacher.headers,
        ),
        201,
    )
    assert await _lesson_refs(db, work_lesson["id"]) == (None, uuid.UUID(work["id"]))

    # A lesson of another type cannot hold a quiz: nothing is created.
    refused = await client.post(
        f"{base}/quizzes",
        json={"title": "Wrong", "questionIds": [], "lessonId": article["id"]},
        headers=teacher.headers,
    )
    assert _error_fields(refused) == ["lessonId"]
    assert await _lesson_refs(db, article["id"]) == (None, None)

    # Attaching by an update links too.
    other = ok(
        await client.post(
            f"{base}/quizzes", json={"title": "Later", "questionIds": []}, headers=teacher.headers
        ),
        201,
    )
    ok(
        await client.patch(
            f"{API}/quizzes/{other['id']}",
            json={"lessonId": quiz_lesson["id"]},
            headers=teacher.headers,
        )
    )
    assert await _lesson_refs(db, quiz_lesson["id"]) == (uuid.UUID(other["id"]), None)


async def test_error_details_name_fields_in_camel_case(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    h = world.instructor.headers
    single = await assessment.question(world.instructor, world.course_id, QUESTION_BODIES[0])
    quiz = await assessment.quiz(world, [single])

    # A response in another question type's field: the error names the field to use.
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    wrong_field = await assessment.save(world.learner, attempt["id"], single["id"], {"value": True})
    assert _error_fields(wrong_field) == ["optionId"]
    ok(await assessment.save(world.learner, attempt["id"], single["id"], perfect_answer(single)))

    cleared = await client.patch(
        f"{API}/quizzes/{quiz['id']}", json={"passingScore": None}, headers=h
    )
    assert _error_fields(cleared) == ["passingScore"]
    work = await assessment.assignment(world)
    cleared = await client.patch(
        f"{API}/assignments/{work['id']}", json={"maxMarks": None}, headers=h
    )
    assert _error_fields(cleared) == ["maxMarks"]

    misfit = {**QUESTION_BODIES[0], "numericAnswer": "3", "trueFalseAnswer": True}
    refused = await client.post(
        f"{API}/courses/{world.course_id}/questions", json=misfit, headers=h
    )
    assert sorted(_error_fields(refused)) == ["numericAnswer", "trueFalseAnswer"]
