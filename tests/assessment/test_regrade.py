"""Correcting a question regrades the submitted attempts that drew it: by a job through the
outbox, idempotently, in chunks of a fixed number of queries, against the current question;
newly passing attempts publish ``assessment.quiz_passed`` and results show ``regradedAt``."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.assessment.service import regrade
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.assessment import API, QUESTION_BODIES, AssessmentFactory, World
from tests.fixtures.catalog import ok, ok_object
from tests.fixtures.identity import AppUser
from tests.fixtures.queries import Queries, assert_same_count, count_queries

SINGLE = QUESTION_BODIES[0]  # def (correct) / func / lambda, 2 points
TRUE_FALSE = QUESTION_BODIES[2]  # true, 1 point


async def _payloads(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.payload)
            .where(OutboxMessage.name == name)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        return [dict(p) for p in rows.scalars()]


def _option(question: dict[str, Any], text: str) -> str:
    return str(next(o["id"] for o in question["options"] if o["text"] == text))


def _corrected(correct: str) -> dict[str, Any]:
    body = copy.deepcopy(SINGLE)
    for option in body["options"]:
        option["isCorrect"] = option["text"] == correct
    return body


async def _quiz(
    assessment: AssessmentFactory, world: World
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    single = await assessment.question(world.instructor, world.course_id, SINGLE)
    tf = await assessment.question(world.instructor, world.course_id, TRUE_FALSE)
    quiz = await assessment.quiz(world, [single, tf], passingScore=60)
    return single, tf, quiz


async def _take(
    assessment: AssessmentFactory, user: AppUser, quiz_id: str, answers: dict[str, Any]
) -> dict[str, Any]:
    attempt = ok(await assessment.start(user, quiz_id), 201)
    for question_id, answer in answers.items():
        ok(await assessment.save(user, attempt["id"], question_id, answer))
    return ok_object(await assessment.submit(user, attempt["id"]))


async def _replace(
    client: AsyncClient, world: World, question_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    url = f"{API}/questions/{question_id}"
    return ok_object(await client.put(url, json=body, headers=world.instructor.headers))


async def test_correcting_the_key_regrades_attempts_newly_passing_ones_publish_quiz_passed(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    single, tf, quiz = await _quiz(assessment, world)
    chose_func = await _take(
        assessment,
        world.learner,
        quiz["id"],
        {single["id"]: {"optionId": _option(single, "func")}, tf["id"]: {"value": True}},
    )
    chose_def = await _take(
        assessment,
        world.other_learner,
        quiz["id"],
        {single["id"]: {"optionId": _option(single, "def")}, tf["id"]: {"value": True}},
    )
    assert (chose_func["result"]["scorePercent"], chose_func["result"]["passed"]) == (
        "33.33",
        False,
    )
    assert chose_def["result"]["passed"] is True
    assert chose_func["result"]["regradedAt"] is None
    await relay.drain()
    passed_before = await _payloads(db, "assessment.quiz_passed")
    assert [p["attemptId"] for p in passed_before] == [chose_def["id"]]

    corrected = await _replace(client, world, single["id"], _corrected("func"))
    # The options continue: same ids, so saved answers still point at the same choices.
    assert [o["id"] for o in corrected["options"]] == [o["id"] for o in single["options"]]
    await relay.drain()

    now_passing = ok(
        await client.get(f"{API}/attempts/{chose_func['id']}", headers=world.learner.headers)
    )
    assert now_passing["result"]["scorePercent"] == "100.00"
    assert now_passing["result"]["passed"] is True
    assert now_passing["result"]["regradedAt"] is not None
    assert {q["questionId"]: q["isCorrect"] for q in now_passing["result"]["questions"]} == {
        single["id"]: True,
        tf["id"]: True,
    }
    # Passing then failing: the attempt is stored as failed (progress already granted stays).
    now_failing = ok(
        await client.get(f"{API}/attempts/{chose_def['id']}", headers=world.other_learner.headers)
    )
    assert (now_failing["result"]["scorePercent"], now_failing["result"]["passed"]) == (
        "33.33",
        False,
    )
    passed_after = await _payloads(db, "assessment.quiz_passed")
    assert [p["attemptId"] for p in passed_after] == [chose_def["id"], chose_func["id"]]
    regraded = await _payloads(db, "assessment.attempt_regraded")
    assert {(r["attemptId"], r["previousPassed"], r["passed"]) for r in regraded} == {
        (chose_func["id"], False, True),
        (chose_def["id"], True, False),
    }
    listed = ok(
        await client.get(f"{API}/quizzes/{quiz['id']}/attempts", headers=world.learner.headers)
    )
    assert listed["items"][0]["regradedAt"] == now_passing["result"]["regradedAt"]

    # Idempotent: the same correction again, and a repeated job, change and publish nothing.
    await _replace(client, world, single["id"], _corrected("func"))
    await relay.drain()
    async with db.session() as session:
        assert await regrade.regrade_chunk(session, uuid.UUID(single["id"]), None) == 0
    assert len(await _payloads(db, "assessment.quiz_passed")) == 2
    assert len(await _payloads(db, "assessment.attempt_regraded")) == 2
    again = ok(
        await client.get(f"{API}/attempts/{chose_func['id']}", headers=world.learner.headers)
    )
    assert again["result"]["regradedAt"] == now_passing["result"]["regradedAt"]


async def test_changing_points_regrades_unanswered_questions_and_text_edits_do_not(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    single, tf, quiz = await _quiz(assessment, world)
    taken = await _take(
        assessment, world.learner, quiz["id"], {single["id"]: {"optionId": _option(single, "def")}}
    )
    assert (taken["result"]["scorePoints"], taken["result"]["maxPoints"]) == ("2.00", 3)
    await relay.drain()
    # A wording fix does not touch grading: no job, no regrade.
    await _replace(client, world, tf["id"], {**TRUE_FALSE, "text": "Lists may mix types."})
    await relay.drain()
    assert await _payloads(db, "assessment.regrade_question") == []
    await _replace(client, world, tf["id"], {**TRUE_FALSE, "points": 3})
    await relay.drain()
    got = ok(await client.get(f"{API}/attempts/{taken['id']}", headers=world.learner.headers))
    assert (got["result"]["scorePoints"], got["result"]["maxPoints"]) == ("2.00", 5)
    assert got["result"]["scorePercent"] == "40.00"
    assert got["result"]["passed"] is False
    assert got["result"]["regradedAt"] is not None


async def test_open_attempts_and_other_quizzes_attempts_are_not_regraded(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await assessment.world()
    single, tf, quiz = await _quiz(assessment, world)
    other_quiz = await assessment.quiz(world, [tf])
    elsewhere = await _take(
        assessment, world.other_learner, other_quiz["id"], {tf["id"]: {"value": False}}
    )
    open_attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    ok(
        await assessment.save(
            world.learner, open_attempt["id"], single["id"], {"optionId": _option(single, "func")}
        )
    )
    await _replace(client, world, single["id"], _corrected("func"))
    await relay.drain()
    untouched = ok(
        await client.get(f"{API}/attempts/{elsewhere['id']}", headers=world.other_learner.headers)
    )
    assert untouched["result"]["regradedAt"] is None
    still_open = ok(
        await client.get(f"{API}/attempts/{open_attempt['id']}", headers=world.learner.headers)
    )
    assert still_open["status"] == "in_progress"
    # Submitted later, it is graded against the corrected key anyway.
    result = ok(await assessment.submit(world.learner, open_attempt["id"]))
    assert result["result"]["scorePoints"] == "2.00"
    assert result["result"]["regradedAt"] is None


#: Queries of one regrade chunk, whatever its size.
REGRADE_CHUNK_BUDGET = 10


async def test_regrade_runs_in_chunks_of_a_fixed_number_of_queries_and_chains_the_next_chunk(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    single, tf, quiz = await _quiz(assessment, world)
    learners = [world.learner, world.other_learner, *await assessment.learners(world, 4)]
    attempts = [
        await _take(
            assessment,
            who,
            quiz["id"],
            {single["id"]: {"optionId": _option(single, "func")}, tf["id"]: {"value": True}},
        )
        for who in learners
    ]
    await relay.drain()
    await _replace(client, world, single["id"], _corrected("func"))
    question_id = uuid.UUID(single["id"])
    ordered = sorted(uuid.UUID(a["id"]) for a in attempts)
    counts: list[Queries] = []
    for after, size in ((None, 1), (ordered[0], 4)):
        async with db.session() as session:
            with count_queries(db) as statements:
                changed = await regrade.regrade_chunk(session, question_id, after, chunk_size=size)
        assert changed == size
        counts.append(statements)
    assert_same_count(counts[0], counts[1], "a chunk of 1, then of 4")
    counts[1].assert_count(REGRADE_CHUNK_BUDGET)
    chained = [
        p for p in await _payloads(db, "assessment.regrade_question") if p["after"] is not None
    ]
    assert [p["after"] for p in chained] == [str(ordered[0]), str(ordered[4])]
    await relay.drain()  # the rest (and the repeated chunks change nothing)
    regraded = await _payloads(db, "assessment.attempt_regraded")
    assert sorted(r["attemptId"] for r in regraded) == sorted(a["id"] for a in attempts)
    passed = await _payloads(db, "assessment.quiz_passed")
    assert sorted(p["attemptId"] for p in passed) == sorted(a["id"] for a in attempts)


async def test_option_ids_of_another_question_are_refused_and_new_questions_take_no_ids(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    single = await assessment.question(world.instructor, world.course_id, SINGLE)
    other = await assessment.question(world.instructor, world.course_id, SINGLE)
    body = _corrected("func")
    body["options"][0]["id"] = other["options"][0]["id"]
    foreign = await client.put(
        f"{API}/questions/{single['id']}", json=body, headers=world.instructor.headers
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["details"]["fields"][0]["field"] == "options.0.id"
    body["options"][0]["id"] = single["options"][0]["id"]
    body["options"][1]["id"] = single["options"][0]["id"]  # one option claimed twice
    twice = await client.put(
        f"{API}/questions/{single['id']}", json=body, headers=world.instructor.headers
    )
    assert twice.status_code == 422
    unchanged = ok(
        await client.get(f"{API}/questions/{single['id']}", headers=world.instructor.headers)
    )
    assert unchanged["options"] == single["options"]
    fresh = copy.deepcopy(SINGLE)
    fresh["options"][0]["id"] = str(uuid.uuid4())
    created = await client.post(
        f"{API}/courses/{world.course_id}/questions",
        json=fresh,
        headers=world.instructor.headers,
    )
    assert created.status_code == 422
    # A renamed option is a new option (its id changes); a kept text keeps its id.
    renamed = copy.deepcopy(SINGLE)
    renamed["options"][2]["text"] = "async def"
    out = await _replace(client, world, single["id"], renamed)
    assert [o["id"] == s["id"] for o, s in zip(out["options"], single["options"], strict=True)] == [
        True,
        True,
        False,
    ]
