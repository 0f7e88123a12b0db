"""Gradebook (score policies, weights, pass/fail, CSV, learners' own rows), quiz item
statistics and analysis, and query counts that do not grow with learners or submissions."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from httpx import AsyncClient

from campus.kernel.db import Database
from tests.fixtures.assessment import API, AssessmentFactory, World, perfect_answer, wrong_answer
from tests.fixtures.catalog import ok, ok_object
from tests.fixtures.identity import AppUser
from tests.fixtures.queries import Queries, assert_same_count, count_queries


async def _half_attempt(
    assessment: AssessmentFactory,
    user: AppUser,
    quiz_id: str,
    questions: list[dict],  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Right on the first question (2 of 4 points), wrong on the second."""
    attempt = ok(await assessment.start(user, quiz_id), 201)
    first, second = questions
    ok(await assessment.save(user, attempt["id"], first["id"], perfect_answer(first)))
    ok(await assessment.save(user, attempt["id"], second["id"], wrong_answer(second)))
    return ok_object(await assessment.submit(user, attempt["id"]))


async def test_gradebook_applies_score_policies_weights_and_the_pass_mark(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    pair = [questions[0], questions[4]]  # 2 points each
    best = await assessment.quiz(world, pair, title="Best", scorePolicy="best", weight=1)
    average = await assessment.quiz(world, pair, title="Average", scorePolicy="average", weight=1)
    work = await assessment.assignment(world, weight=2)
    learner = world.learner
    await _half_attempt(assessment, learner, best["id"], pair)  # 50
    await assessment.take(learner, best["id"], pair)  # 100 -> best 100
    await _half_attempt(assessment, learner, average["id"], pair)  # 50
    await assessment.take(learner, average["id"], pair)  # 100 -> average 75
    sub = await assessment.handed_in(learner, work["id"])
    ok(
        await client.post(
            f"{API}/submissions/{sub['id']}/grade",
            json={"marks": 80},
            headers=world.instructor.headers,
        )
    )
    book = ok(
        await client.get(
            f"{API}/courses/{world.course_id}/gradebook", headers=world.instructor.headers
        )
    )
    rows = {r["userId"]: r for r in book["items"]}
    assert set(rows) == {str(learner.id), str(world.other_learner.id)}
    mine = rows[str(learner.id)]
    assert mine["scores"] == {best["id"]: "100.00", average["id"]: "75.00", work["id"]: "80.00"}
    assert Decimal(mine["coursePercent"]) == Decimal("83.75")  # (100 + 75 + 2*80) / 4
    assert mine["letterGrade"] == "B"
    assert mine["passed"] is True
    other = rows[str(world.other_learner.id)]
    assert other["coursePercent"] == "0.00"
    assert other["passed"] is False
    own = ok(
        await client.get(f"{API}/courses/{world.course_id}/gradebook/me", headers=learner.headers)
    )
    assert [r["userId"] for r in own["items"]] == [str(learner.id)]
    assert (
        await client.get(f"{API}/courses/{world.course_id}/gradebook", headers=learner.headers)
    ).status_code == 403
    export = await client.get(
        f"{API}/courses/{world.course_id}/gradebook.csv", headers=world.instructor.headers
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(export.text)))
    assert table[0][-3:] == ["course_percent", "letter_grade", "passed"]
    assert {r[0] for r in table[1:]} == {str(learner.id), str(world.other_learner.id)}
    assert (
        await client.get(
            f"{API}/courses/{world.course_id}/gradebook.csv", headers=world.other_instructor.headers
        )
    ).status_code == 403


#: Queries of the grading queue (for one course, then all), the gradebook and its CSV export:
#: the same whatever the number of learners.
QUEUE_AND_GRADEBOOK_BUDGETS = (5, 6, 12, 12)


async def _grading_load(assessment: AssessmentFactory, world: World, learners: int) -> None:
    work = await assessment.assignment(world)
    if "quiz" not in world.extra:
        world.extra["questions"] = await assessment.every_type(world)
        world.extra["quiz"] = await assessment.quiz(world, world.extra["questions"][:2])
    questions, quiz = world.extra["questions"], world.extra["quiz"]
    for user in await assessment.learners(world, learners):
        await assessment.handed_in(user, work["id"])
        await assessment.take(user, quiz["id"], questions[:2])


async def test_queue_and_gradebook_query_counts_do_not_grow_with_learners(
    assessment: AssessmentFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    h = world.instructor.headers
    urls = [
        f"{API}/grading/queue?courseId={world.course_id}",
        f"{API}/grading/queue",
        f"{API}/courses/{world.course_id}/gradebook",
        f"{API}/courses/{world.course_id}/gradebook.csv",
    ]
    budgets = dict(zip(urls, QUEUE_AND_GRADEBOOK_BUDGETS, strict=True))
    counts: dict[str, list[Queries]] = {u: [] for u in urls}
    for extra in (1, 4):
        await _grading_load(assessment, world, extra)
        for url in urls:
            with count_queries(db) as statements:
                response = await client.get(url, headers=h)
            assert response.status_code == 200, response.text
            counts[url].append(statements)
    for url, (small, large) in counts.items():
        assert_same_count(small, large, f"{url} (few learners, then more)")
        large.assert_count(budgets[url], url)


async def test_item_statistics_and_quiz_analysis(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world(lessons=2)
    questions = await assessment.every_type(world)
    pair = [questions[0], questions[4]]  # topics "Functions" and "Loops"
    quiz = await assessment.quiz(world, pair)
    await assessment.take(world.learner, quiz["id"], pair)
    await assessment.take(world.other_learner, quiz["id"], pair, perfect=False)
    third = (await assessment.learners(world, 1))[0]
    half = await _half_attempt(assessment, third, quiz["id"], pair)
    stats = ok(
        await client.get(f"{API}/quizzes/{quiz['id']}/statistics", headers=world.instructor.headers)
    )
    assert stats["submittedAttempts"] == 3
    by_q = {q["questionId"]: q for q in stats["questions"]}
    single = by_q[pair[0]["id"]]
    assert single["difficultyIndex"] == "0.6667"
    assert single["responses"] == 3
    assert single["discrimination"] == "1.0000"
    chosen = {o["label"]: o["count"] for o in single["options"]}
    assert chosen == {"def": 2, "func": 1, "lambda": 0}
    assert by_q[pair[1]["id"]]["difficultyIndex"] == "0.3333"
    assert (
        await client.get(f"{API}/quizzes/{quiz['id']}/statistics", headers=world.learner.headers)
    ).status_code == 403
    analysis = ok(await client.get(f"{API}/attempts/{half['id']}/analysis", headers=third.headers))
    assert analysis["performanceBreakdown"] == {"Functions": "100.00", "Loops": "0.00"}
    assert analysis["strongTopics"] == ["Functions"]
    assert analysis["weakTopics"] == ["Loops"]
    assert analysis["avgTimePerQuestionSeconds"] is not None
