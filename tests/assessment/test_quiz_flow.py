"""Quiz authoring and attempts end to end: start, autosave, submit, resume, reveal policies,
attempt limits, time limits with a controlled clock, automatic submission, events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.assessment import API, AssessmentFactory, perfect_answer, wrong_answer
from tests.fixtures.catalog import ok


async def _events(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.payload)
            .where(OutboxMessage.name == name)
            .order_by(OutboxMessage.created_at)
        )
        return [dict(r) for r in rows.scalars()]


async def test_perfect_attempt_scores_100_and_publishes_passed_and_submitted_events(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions, passingScore=80)
    result = await assessment.take(world.learner, quiz["id"], questions)
    assert result["status"] == "submitted"
    assert result["result"]["scorePercent"] == "100.00"
    assert result["result"]["passed"] is True
    assert all(q["isCorrect"] for q in result["result"]["questions"])
    submitted = await _events(db, "assessment.attempt_submitted")
    passed = await _events(db, "assessment.quiz_passed")
    assert len(submitted) == 1
    assert submitted[0]["passed"] is True
    assert passed == [
        {
            "userId": str(world.learner.id),
            "courseId": world.course_id,
            "quizId": quiz["id"],
            "lessonId": None,
            "attemptId": result["id"],
            "scorePercent": "100.00",
        }
    ]


async def test_wrong_attempt_fails_without_quiz_passed_event(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions)
    result = await assessment.take(world.learner, quiz["id"], questions, perfect=False)
    assert result["result"]["passed"] is False
    assert result["result"]["scorePercent"] == "0.00"
    assert await _events(db, "assessment.quiz_passed") == []
    assert len(await _events(db, "assessment.attempt_submitted")) == 1


async def test_saving_is_idempotent_and_the_last_answer_counts(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    tf = next(q for q in questions if q["type"] == "true_false")
    quiz = await assessment.quiz(world, [tf])
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    for answer in (wrong_answer(tf), perfect_answer(tf), perfect_answer(tf)):
        ok(await assessment.save(world.learner, attempt["id"], tf["id"], answer))
    resumed = ok(
        await client.get(
            f"{API}/quizzes/{quiz['id']}/attempts/current", headers=world.learner.headers
        )
    )
    assert resumed["id"] == attempt["id"]
    assert resumed["answers"] == [
        {
            "questionId": tf["id"],
            "response": {"value": True},
            "savedAt": resumed["answers"][0]["savedAt"],
        }
    ]
    result = ok(await assessment.submit(world.learner, attempt["id"]))
    assert result["result"]["scorePercent"] == "100.00"


async def test_one_open_attempt_and_the_attempt_limit_hold(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:2], attemptLimit=2)
    first = ok(await assessment.start(world.learner, quiz["id"]), 201)
    again = await assessment.start(world.learner, quiz["id"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "attempt_in_progress"
    assert again.json()["error"]["details"]["attemptId"] == first["id"]
    ok(await assessment.submit(world.learner, first["id"]))
    second = ok(await assessment.start(world.learner, quiz["id"]), 201)
    assert second["attemptNumber"] == 2
    ok(await assessment.submit(world.learner, second["id"]))
    third = await assessment.start(world.learner, quiz["id"])
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "attempt_limit_reached"


async def test_answers_after_the_deadline_and_grace_are_refused(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    tf = next(q for q in questions if q["type"] == "true_false")
    quiz = await assessment.quiz(world, [tf], timeLimitSeconds=60)
    clock.freeze()
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    clock.advance(seconds=64)  # inside the 5 s grace
    ok(await assessment.save(world.learner, attempt["id"], tf["id"], perfect_answer(tf)))
    clock.advance(seconds=2)  # 66 s: past deadline + grace
    late = await assessment.save(world.learner, attempt["id"], tf["id"], wrong_answer(tf))
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "deadline_passed"
    # The next read submits it with what was saved (the right answer, not the late wrong one).
    got = ok(await client.get(f"{API}/attempts/{attempt['id']}", headers=world.learner.headers))
    assert got["status"] == "submitted"
    assert got["autoSubmitted"] is True
    assert got["result"]["scorePercent"] == "100.00"
    assert got["timeTakenSeconds"] == 60


async def test_the_scheduled_job_submits_an_abandoned_attempt_at_its_deadline(
    assessment: AssessmentFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:3], timeLimitSeconds=120)
    clock.freeze()
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    q = next(q for q in questions[:3] if q["id"] == attempt["questions"][0]["id"])
    ok(await assessment.save(world.learner, attempt["id"], q["id"], perfect_answer(q)))
    await relay.drain()  # nothing is due yet
    assert await _events(db, "assessment.attempt_submitted") == []
    clock.advance(seconds=130)
    await relay.drain()
    submitted = await _events(db, "assessment.attempt_submitted")
    assert len(submitted) == 1
    assert submitted[0]["autoSubmitted"] is True
    got = ok(await client.get(f"{API}/attempts/{attempt['id']}", headers=world.learner.headers))
    assert got["status"] == "submitted"
    assert got["result"]["scorePoints"] == str(q["points"]) + ".00"
    # A second delivery of the job changes nothing.
    await relay.drain()
    assert len(await _events(db, "assessment.attempt_submitted")) == 1


async def test_a_new_start_after_an_expired_attempt_submits_the_old_one_first(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:1], timeLimitSeconds=30)
    clock.freeze()
    first = ok(await assessment.start(world.learner, quiz["id"]), 201)
    clock.advance(seconds=40)
    second = ok(await assessment.start(world.learner, quiz["id"]), 201)
    assert second["attemptNumber"] == 2
    assert second["id"] != first["id"]


async def test_availability_window_bounds_start_and_deadline(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    now = clock.freeze()
    quiz = await assessment.quiz(
        world,
        questions[:1],
        timeLimitSeconds=3600,
        availableFrom=(now + timedelta(minutes=2)).isoformat(),
        availableUntil=(now + timedelta(minutes=12)).isoformat(),
    )
    early = await assessment.start(world.learner, quiz["id"])
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "quiz_not_available"
    clock.advance(minutes=5)  # access tokens live 15 minutes
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    assert attempt["deadlineAt"].startswith((now + timedelta(minutes=12)).isoformat()[:19])


async def test_draw_n_questions_and_shuffle_give_each_learner_a_subset(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(
        world, questions, drawCount=4, shuffleQuestions=True, shuffleOptions=True
    )
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    ids = [q["id"] for q in attempt["questions"]]
    assert len(ids) == 4
    assert len(set(ids)) == 4
    assert set(ids) <= {q["id"] for q in questions}
    result = ok(await assessment.submit(world.learner, attempt["id"]))
    assert result["result"]["maxPoints"] == sum(q["points"] for q in questions if q["id"] in ids)


async def test_only_enrolled_learners_can_attempt(assessment: AssessmentFactory) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:1])
    refused = await assessment.start(world.outsider, quiz["id"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_enrolled"
    staff = await assessment.start(world.instructor, quiz["id"])
    assert staff.status_code == 403


async def test_negative_marking_takes_points_for_wrong_answers_but_floors_at_zero(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    single, tf = questions[0], questions[2]  # 2 points and 1 point
    quiz = await assessment.quiz(world, [single, tf], negativeMarkingPercent=50)
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    ok(await assessment.save(world.learner, attempt["id"], single["id"], perfect_answer(single)))
    ok(await assessment.save(world.learner, attempt["id"], tf["id"], wrong_answer(tf)))
    result = ok(await assessment.submit(world.learner, attempt["id"]))["result"]
    assert result["scorePoints"] == "1.50"  # 2 - 0.5
    assert result["scorePercent"] == "50.00"
    other = ok(await assessment.start(world.other_learner, quiz["id"]), 201)
    ok(await assessment.save(world.other_learner, other["id"], tf["id"], wrong_answer(tf)))
    floored = ok(await assessment.submit(world.other_learner, other["id"]))["result"]
    assert floored["scorePercent"] == "0.00"


async def test_mass_assignment_of_score_or_status_is_refused_and_changes_nothing(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    tf = questions[2]
    quiz = await assessment.quiz(world, [tf])
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    for extra in ({"score": 100}, {"status": "submitted"}, {"isCorrect": True}):
        bad = await assessment.save(
            world.learner, attempt["id"], tf["id"], {"value": False, **extra}
        )
        assert bad.status_code == 422
    refused = await client.post(
        f"{API}/attempts/{attempt['id']}/submit",
        json={"scorePercent": 100},
        headers=world.learner.headers,
    )
    assert refused.status_code in (415, 422) or refused.json()["result"] is not None
    got = ok(await client.get(f"{API}/attempts/{attempt['id']}", headers=world.learner.headers))
    if got["status"] == "in_progress":
        assert got["answers"] == []
    else:  # the submit route takes no body; whatever was sent, nothing was saved
        assert got["answers"] == []
        assert got["result"]["scorePercent"] == "0.00"


async def test_a_learner_cannot_read_or_change_another_learners_attempt(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    tf = questions[2]
    quiz = await assessment.quiz(world, [tf])
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    spy = world.other_learner
    assert (
        await client.get(f"{API}/attempts/{attempt['id']}", headers=spy.headers)
    ).status_code == 404
    assert (
        await assessment.save(spy, attempt["id"], tf["id"], perfect_answer(tf))
    ).status_code == 404
    assert (await assessment.submit(spy, attempt["id"])).status_code == 404
    analysis = await client.get(f"{API}/attempts/{attempt['id']}/analysis", headers=spy.headers)
    assert analysis.status_code == 404
    mine = ok(await client.get(f"{API}/attempts/{attempt['id']}", headers=world.learner.headers))
    assert mine["status"] == "in_progress"
    assert mine["answers"] == []
    listed = ok(await client.get(f"{API}/quizzes/{quiz['id']}/attempts", headers=spy.headers))
    assert listed["items"] == []


async def test_questions_are_served_in_the_learners_language_when_translated(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    single = questions[0]
    translation = {
        "text": "Quel mot-clé définit une fonction ?",
        "options": {single["options"][1]["id"]: "fonction"},
    }
    url = f"{API}/questions/{single['id']}/translations/fr"
    staff = ok(await client.put(url, json=translation, headers=world.instructor.headers))
    assert staff["translations"] == ["fr"]
    quiz = await assessment.quiz(world, [single])
    start = await client.post(
        f"{API}/quizzes/{quiz['id']}/attempts?lang=fr", headers=world.learner.headers
    )
    shown = ok(start, 201)["questions"][0]
    assert shown["text"] == "Quel mot-clé définit une fonction ?"
    assert {o["text"] for o in shown["options"]} == {"def", "fonction", "lambda"}
    english = ok(
        await client.get(f"{API}/attempts/{start.json()['id']}", headers=world.learner.headers)
    )
    assert english["questions"][0]["text"] == single["text"]
