"""The grading job: PENDING -> RUNNING -> PASSED / FAILED / ERROR, crash-safe and exactly once.

The job handler runs in three steps (ADR 0016):

1. **Claim** (short transaction, committed): ``PENDING -> RUNNING`` with a fresh
   ``grading_token``, the outbox message id and a deadline, by a conditional update. A
   submission whose verdict is recorded is never claimed again (a duplicate delivery is a
   no-op), and a RUNNING one only by a redelivery of the *same* message (its previous delivery
   is over: the relay redelivers only after the lease ran out or the handler failed) or after
   its deadline.
2. **Run** the tests and the analysis, with no transaction open (``test_runs.pause``).
3. **Record** (the relay's final transaction): ``RUNNING -> final`` only for the holder of the
   token (conditional update), with the per-test results, the analysis and the events, all in
   one commit. A superseded grader records nothing.

The relay's own dedupe row is dropped in step 1 (``session.rollback()`` before the claim):
it would otherwise be committed with the claim and make the relay skip a redelivery after a
crash, leaving the submission RUNNING forever. The submission row is the dedupe instead. A
worker killed during step 2 therefore leaves a RUNNING submission and a claimed outbox message;
when the lease runs out the message is redelivered, the claim is taken over and the grading is
redone; nothing was recorded the first time, so nothing is recorded twice.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.data import CodeSubmissionStatus
from campus.coding.events import GRADE_JOB, CodeSubmissionGraded, CodeSubmissionPassed
from campus.coding.models import CodeExercise, CodeSubmission, CodeTestCase
from campus.coding.repository import exercises as exercises_repo
from campus.coding.repository import submissions as submissions_repo
from campus.coding.runners.engine import GradingEngine
from campus.coding.service.analysis import analyze
from campus.coding.service.test_runs import GRADER_FAILURE, Verdict, limits_for, run_tests
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.logging import get_logger
from campus.kernel.outbox import Delivery, enqueue_job

log = get_logger("campus.coding.grading")

#: After this many claims without a verdict (the worker died each time) the submission is
#: recorded as ERROR instead of being run again: a poison submission must not kill workers.
MAX_GRADING_ATTEMPTS = 3


def _result_rows(verdict: Verdict, tests: list[CodeTestCase]) -> list[dict[str, Any]]:
    by_id = {r.id: r for r in verdict.results}
    rows = []
    for test in tests:
        result = by_id.get(str(test.id))
        if result is None:
            continue
        hidden = test.hidden
        rows.append(
            {
                "position": test.position,
                "test_id": test.id,
                "name": test.name,
                "hidden": hidden,
                "passed": result.passed,
                "status": result.status.value,
                "weight": test.weight,
                "time_ms": result.time_ms,
                "memory_kb": result.memory_kb,
                # Hidden tests: the verdict only (never output, diff or error text).
                "output": None if hidden else result.output,
                "diff": None if hidden else result.diff,
                "error": None if hidden else result.error,
            }
        )
    return rows


async def grade_submission(
    session: AsyncSession,
    delivery: Delivery,
    engine: GradingEngine,
    *,
    lease_seconds: float,
) -> None:
    submission_id = uuid.UUID(str(delivery.payload["submissionId"]))
    # Step 1: drop the relay's dedupe row (see the module docstring) and claim.
    await session.rollback()
    now = utcnow()
    token = uuid.uuid4()
    claimed = await submissions_repo.claim_submission(
        session,
        submission_id,
        token=token,
        message_id=delivery.id,
        now=now,
        deadline=now + timedelta(seconds=lease_seconds),
    )
    if not claimed:
        log.info("code_grading_skipped", submission_id=str(submission_id))
        return
    submission = await submissions_repo.get_submission(session, submission_id)
    assert submission is not None
    exercise = await exercises_repo.get_exercise(session, submission.exercise_id)
    assert exercise is not None
    tests = await exercises_repo.tests_of(session, exercise.id)
    if submission.grading_attempts > MAX_GRADING_ATTEMPTS:
        log.error("code_grading_abandoned", submission_id=str(submission_id))
        verdict = Verdict(CodeSubmissionStatus.ERROR.value, (), "grading failed repeatedly")
        await _record(session, submission, exercise, tests, verdict, None, token)
        return
    await session.commit()  # RUNNING is visible; no transaction is held while code runs

    # Step 2: run.
    verdict = await run_tests(
        engine, submission.language, submission.code, tests, limits_for(exercise)
    )
    automated = None
    if engine.analysis:
        automated = await analyze(engine.sandbox, submission.language, submission.code)

    # Step 3: record (committed by the relay).
    current = await exercises_repo.get_exercise(session, exercise.id)
    if current is not None and current.tests_version != exercise.tests_version:
        # The tests changed while we ran: grade again against the new ones.
        if await submissions_repo.requeue_submission(session, submission_id, token):
            await enqueue_job(session, GRADE_JOB, {"submissionId": str(submission_id)})
        return
    await _record(session, submission, exercise, tests, verdict, automated, token)


async def _record(
    session: AsyncSession,
    submission: CodeSubmission,
    exercise: CodeExercise,
    tests: list[CodeTestCase],
    verdict: Verdict,
    automated: Any,
    token: uuid.UUID,
) -> None:
    now = utcnow()
    status = verdict.status
    score = verdict.score(tests, exercise.max_score)
    error = None
    if status == CodeSubmissionStatus.ERROR.value:
        error = GRADER_FAILURE
        log.error(
            "code_grading_error",
            submission_id=str(submission.id),
            reason=(verdict.error or "")[:300],
        )
    values = {
        "status": status,
        "score": score,
        "max_score": exercise.max_score,
        "tests_passed": verdict.tests_passed,
        "tests_total": len(tests),
        "tests_version": exercise.tests_version,
        "error": error,
        "graded_at": now,
        "grading_token": None,  # a column, not a secret  # nosec B105
        "grading_deadline": None,
    }
    if not await submissions_repo.finish_submission(session, submission.id, token, values):
        log.info("code_grading_superseded", submission_id=str(submission.id))
        return
    await submissions_repo.replace_results(session, submission.id, _result_rows(verdict, tests))
    if automated is not None:
        await submissions_repo.save_automated_analysis(
            session, submission.id, automated.values(), now
        )
    await publish(
        session,
        CodeSubmissionGraded(
            submission_id=submission.id,
            user_id=submission.user_id,
            course_id=submission.course_id,
            exercise_id=exercise.id,
            lesson_id=exercise.lesson_id,
            module_id=exercise.module_id,
            status=CodeSubmissionStatus(status),
            score=score,
            max_score=exercise.max_score,
            tests_passed=verdict.tests_passed,
            tests_total=len(tests),
            tests_version=exercise.tests_version,
            regrade=submission.regrades > 0,
            graded_at=now,
            exercise_title=exercise.title,
        ),
    )
    if status == CodeSubmissionStatus.PASSED.value and score is not None:
        await publish(
            session,
            CodeSubmissionPassed(
                user_id=submission.user_id,
                course_id=submission.course_id,
                exercise_id=exercise.id,
                lesson_id=exercise.lesson_id,
                module_id=exercise.module_id,
                submission_id=submission.id,
                score=score,
            ),
        )
    log.info(
        "code_submission_graded",
        submission_id=str(submission.id),
        status=status,
        tests_ok=verdict.tests_passed,
        tests_total=len(tests),
    )


async def regrade_exercise(session: AsyncSession, delivery: Delivery) -> None:
    """Put the exercise's final submissions graded against older tests back to PENDING and
    queue one grading job each (in this job's transaction)."""
    exercise_id = uuid.UUID(str(delivery.payload["exerciseId"]))
    exercise = await exercises_repo.get_exercise(session, exercise_id)
    if exercise is None:
        return
    ids = await submissions_repo.mark_for_regrade(session, exercise.id, exercise.tests_version)
    for submission_id in ids:
        await enqueue_job(session, GRADE_JOB, {"submissionId": str(submission_id)})
    log.info("code_regrade_queued", exercise_id=str(exercise_id), submissions=len(ids))
