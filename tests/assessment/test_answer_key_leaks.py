"""No answer key leaks: every response a learner can get before the reveal point is scanned,
recursively, for correctness fields (by key name) and for the known correct answers, accepted
answers, explanations and option feedback (by value)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from httpx import AsyncClient, Response

from campus.kernel.clock import clock
from tests.fixtures.assessment import (
    API,
    QUESTION_BODIES,
    AssessmentFactory,
    perfect_answer,
)
from tests.fixtures.catalog import ok

FORBIDDEN_KEYS = {
    "iscorrect",
    "correct",
    "correctanswer",
    "correctanswers",
    "acceptedanswers",
    "accepted",
    "pattern",
    "explanation",
    "feedback",
    "optionfeedback",
    "answerkey",
    "pairs",
    "fraction",
    "pointsawarded",
    "truefalseanswer",
    "numericanswer",
    "tolerance",
    "display",
}


def _secrets(questions: list[dict[str, Any]]) -> set[str]:
    """Values that would give an answer away if a learner saw them."""
    values: set[str] = set()
    for body in QUESTION_BODIES:
        values.add(body["explanation"])
        for option in body.get("options", []):
            if option.get("feedback"):
                values.add(option["feedback"])
    for question in questions:
        key = question["answerKey"]
        values.update(str(v) for v in key.get("accepted", []) if len(str(v)) > 3)
        if key.get("pattern"):
            values.add(key["pattern"])
    return values


def _scan(value: Any, secrets: set[str], path: str, found: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).replace("_", "").lower() in FORBIDDEN_KEYS:
                found.append(f"{path}.{key} (key)")
            _scan(item, secrets, f"{path}.{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan(item, secrets, f"{path}[{index}]", found)
    elif isinstance(value, str) and value in secrets:
        found.append(f"{path} = {value!r} (value)")


def assert_no_leak(response: Response, secrets: set[str], what: str) -> None:
    assert response.status_code < 300, f"{what}: {response.status_code} {response.text[:300]}"
    found: list[str] = []
    _scan(response.json(), secrets, what, found)
    assert not found, f"answer data leaked: {found}"


def _ordering_in_correct_order(attempt: dict[str, Any], questions: list[dict[str, Any]]) -> bool:
    by_id = {q["id"]: q for q in questions}
    for shown in attempt["questions"]:
        question = by_id[shown["id"]]
        if question["type"] == "ordering":
            order: list[str] = question["answerKey"]["order"]
            return [x["id"] for x in shown["items"]] == order
    return False


async def _learner_journey(
    assessment: AssessmentFactory, client: AsyncClient, policy: str, **settings: Any
) -> tuple[Any, str]:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    secrets = _secrets(questions)
    quiz = await assessment.quiz(world, questions, revealPolicy=policy, **settings)
    user = world.learner
    h = user.headers
    assert_no_leak(await client.get(f"{API}/quizzes/{quiz['id']}", headers=h), secrets, "quiz")
    assert_no_leak(
        await client.get(f"{API}/courses/{world.course_id}/quizzes", headers=h), secrets, "list"
    )
    start = await assessment.start(user, quiz["id"])
    assert_no_leak(start, secrets, "start")
    attempt = start.json()
    assert not _ordering_in_correct_order(attempt, questions)
    by_id = {q["id"]: q for q in questions}
    for shown in attempt["questions"]:
        saved = await assessment.save(
            user, attempt["id"], shown["id"], perfect_answer(by_id[shown["id"]])
        )
        assert_no_leak(saved, secrets, "save")
    assert_no_leak(
        await client.get(f"{API}/quizzes/{quiz['id']}/attempts/current", headers=h),
        secrets,
        "resume",
    )
    assert_no_leak(await client.get(f"{API}/attempts/{attempt['id']}", headers=h), secrets, "get")
    submitted = await assessment.submit(user, attempt["id"])
    assert_no_leak(submitted, secrets, "submit")
    assert submitted.json()["result"]["revealed"] is False
    assert submitted.json()["result"]["scorePercent"] == "100.00"
    assert_no_leak(await client.get(f"{API}/attempts/{attempt['id']}", headers=h), secrets, "after")
    assert_no_leak(
        await client.get(f"{API}/quizzes/{quiz['id']}/attempts", headers=h), secrets, "attempts"
    )
    analysis = await client.get(f"{API}/attempts/{attempt['id']}/analysis", headers=h)
    assert analysis.status_code == 409  # topic scores would tell which questions were right
    # Staff see the key, so the scan is not vacuous.
    staff = await client.get(f"{API}/attempts/{attempt['id']}", headers=world.instructor.headers)
    found: list[str] = []
    _scan(staff.json(), secrets, "staff", found)
    assert found
    return world, attempt["id"]


async def test_nothing_leaks_under_reveal_policy_never(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    await _learner_journey(assessment, client, "never")


async def test_nothing_leaks_before_the_due_date_and_answers_show_after_it(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    now = clock.freeze()
    world, attempt_id = await _learner_journey(
        assessment, client, "after_due_date", dueAt=(now + timedelta(minutes=5)).isoformat()
    )
    clock.advance(minutes=6)
    later = ok(await client.get(f"{API}/attempts/{attempt_id}", headers=world.learner.headers))
    assert later["result"]["revealed"] is True
    assert all(q["isCorrect"] for q in later["result"]["questions"])


async def test_results_reveal_after_submission_when_the_policy_says_so(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions, revealPolicy="after_submission")
    result = await assessment.take(world.learner, quiz["id"], questions)
    details = {q["questionId"]: q for q in result["result"]["questions"]}
    single = questions[0]
    assert details[single["id"]]["explanation"] == QUESTION_BODIES[0]["explanation"]
    assert details[single["id"]]["optionFeedback"] == [
        {"optionId": single["options"][0]["id"], "feedback": "FEEDBACK-right-def"}
    ]


async def test_after_passing_reveals_only_to_those_who_passed(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions, revealPolicy="after_passing")
    failed = await assessment.take(world.other_learner, quiz["id"], questions, perfect=False)
    assert failed["result"]["revealed"] is False
    assert failed["result"]["questions"] is None
    passed = await assessment.take(world.learner, quiz["id"], questions)
    assert passed["result"]["revealed"] is True


async def test_the_question_bank_is_invisible_to_learners(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    h = world.learner.headers
    assert (await client.get(f"{API}/questions/{questions[0]['id']}", headers=h)).status_code == 404
    listed = await client.get(f"{API}/courses/{world.course_id}/questions", headers=h)
    assert listed.status_code == 403
    ok(
        await client.get(
            f"{API}/courses/{world.course_id}/questions", headers=world.instructor.headers
        )
    )
