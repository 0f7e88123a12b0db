"""What learners do with an exercise: reveal hints, run the visible tests, submit; and reading
submissions (the author and the course's grading staff) and instructor feedback.

A submission is a PENDING row plus a grading job written in the same transaction (the outbox):
it is graded exactly once even if the process dies right after the commit. Submissions and
runs are rate limited per learner (429 with ``Retry-After``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding import policies
from campus.coding.data import CodeSubmissionStatus, ExerciseStatus
from campus.coding.events import GRADE_JOB
from campus.coding.exceptions import (
    CodeTooLarge,
    ExerciseNotPublished,
    LanguageUnavailable,
    NoMoreHints,
    NotCourseStaff,
    NotEnrolled,
)
from campus.coding.models import CodeExercise, CodeSubmission
from campus.coding.repository import exercises as exercises_repo
from campus.coding.repository import submissions as submissions_repo
from campus.coding.runners.engine import GradingEngine
from campus.coding.service.records import (
    Feedback,
    HintsRecord,
    RunRecord,
    SubmissionRecord,
    SubmissionSummaryRecord,
    SubmittedCode,
    TestResultRecord,
)
from campus.coding.service.test_runs import GRADER_FAILURE, limits_for, pause, run_tests
from campus.coding.settings import CodingSettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams
from campus.kernel.ratelimit import RateLimiter, RateLimitStatus
from campus.learning import api as learning

SUBMIT_SCOPE = "coding.submit"
RUN_SCOPE = "coding.run"


async def _workable(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> CodeExercise:
    """A published exercise the caller is enrolled for (404 / 403 / 409 otherwise)."""
    exercise = await policies.learner_exercise(session, principal, exercise_id)
    if exercise.status != ExerciseStatus.PUBLISHED.value:
        raise ExerciseNotPublished()
    return exercise


async def _check_code(
    code: str, exercise: CodeExercise, engine: GradingEngine, settings: Any
) -> None:
    """413 over the size limit; 409 when no runner on this server takes the language."""
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > CodingSettings.of(settings).code_max_bytes:
        raise CodeTooLarge(
            details={"maxBytes": CodingSettings.of(settings).code_max_bytes, "bytes": size}
        )
    await engine.start()
    if exercise.language not in engine.languages:
        raise LanguageUnavailable(details={"available": list(engine.languages)})


# --------------------------------------------------------------------------- hints


async def hints(session: AsyncSession, principal: Principal, exercise_id: uuid.UUID) -> HintsRecord:
    exercise = await _workable(session, principal, exercise_id)
    revealed = await exercises_repo.revealed_hints(session, exercise.id, principal.user_id)
    all_hints = list(exercise.hints or [])
    return HintsRecord(hint_count=len(all_hints), revealed=tuple(all_hints[:revealed]))


async def reveal_next_hint(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> HintsRecord:
    """Reveal the next hint (one atomic upsert: two clicks reveal two hints, never more than
    there are)."""
    exercise = await _workable(session, principal, exercise_id)
    all_hints = list(exercise.hints or [])
    count = await exercises_repo.reveal_next_hint(
        session, exercise.id, principal.user_id, len(all_hints), utcnow()
    )
    if count is None:
        raise NoMoreHints(details={"hintCount": len(all_hints)})
    return HintsRecord(hint_count=len(all_hints), revealed=tuple(all_hints[:count]))


# --------------------------------------------------------------------------- run and submit


async def run_visible(
    session: AsyncSession,
    principal: Principal,
    exercise_id: uuid.UUID,
    code: str,
    engine: GradingEngine,
    limiter: RateLimiter,
    settings: Any,
) -> tuple[RunRecord, RateLimitStatus]:
    """Run the code against the visible tests only; nothing is recorded."""
    exercise = await _workable(session, principal, exercise_id)
    await _check_code(code, exercise, engine, settings)
    rate = await limiter.hit(
        RUN_SCOPE,
        str(principal.user_id),
        f"{CodingSettings.of(settings).code_runs_per_minute}/minute",
    )
    tests = await exercises_repo.tests_of(session, exercise.id)
    visible = [t for t in tests if not t.hidden]
    hidden = len(tests) - len(visible)
    if not visible:
        return RunRecord(
            status="FAILED",
            tests_passed=0,
            tests_total=0,
            hidden_tests_not_run=hidden,
            results=(),
            error=None,
        ), rate
    await pause(session)
    verdict = await run_tests(engine, exercise.language, code, visible, limits_for(exercise))
    by_id = {str(t.id): t for t in visible}
    error = GRADER_FAILURE if verdict.status == CodeSubmissionStatus.ERROR.value else None
    return (
        RunRecord(
            status=verdict.status,
            tests_passed=verdict.tests_passed,
            tests_total=len(visible),
            hidden_tests_not_run=hidden,
            results=tuple(TestResultRecord.live(r, by_id[r.id]) for r in verdict.results),
            error=error,
        ),
        rate,
    )


async def submit(
    session: AsyncSession,
    principal: Principal,
    exercise_id: uuid.UUID,
    source: SubmittedCode,
    engine: GradingEngine,
    limiter: RateLimiter,
    settings: Any,
) -> tuple[SubmissionRecord, RateLimitStatus]:
    """Record a PENDING submission and queue its grading job in the same transaction."""
    principal.require_verified_email("submit")
    exercise = await _workable(session, principal, exercise_id)
    code = source.code
    await _check_code(code, exercise, engine, settings)
    rate = await limiter.hit(
        SUBMIT_SCOPE,
        str(principal.user_id),
        f"{CodingSettings.of(settings).code_submissions_per_minute}/minute",
    )
    submission = CodeSubmission(
        id=new_id(),
        exercise_id=exercise.id,
        course_id=exercise.course_id,
        user_id=principal.user_id,
        language=exercise.language,
        code=code,
        status=CodeSubmissionStatus.PENDING.value,
        max_score=exercise.max_score,
        hints_used=await exercises_repo.revealed_hints(session, exercise.id, principal.user_id),
        submitted_at=utcnow(),
        grading_attempts=0,
        regrades=0,
    )
    session.add(submission)
    await session.flush()
    await enqueue_job(session, GRADE_JOB, {"submissionId": str(submission.id)})
    return SubmissionRecord.of(submission, [], None), rate


# --------------------------------------------------------------------------- reading


async def get_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> SubmissionRecord:
    submission, _grader = await policies.readable_submission(session, principal, submission_id)
    results = await submissions_repo.results_of(session, submission.id)
    analysis = await submissions_repo.analysis_of(session, submission.id)
    return SubmissionRecord.of(submission, results, analysis)


async def list_submissions(
    session: AsyncSession,
    principal: Principal,
    exercise_id: uuid.UUID,
    page: PageParams,
    *,
    user_id: uuid.UUID | None,
    status: CodeSubmissionStatus | None,
) -> tuple[list[SubmissionSummaryRecord], int]:
    """Staff: everyone's submissions (optionally one learner's); learners: their own. A page
    of them and their total."""
    exercise, _staff = await policies.visible_exercise(session, principal, exercise_id)
    grader = await policies.is_staff(session, principal, exercise.course_id, grading=True)
    if not grader:
        if not await learning.is_enrolled(session, principal.user_id, exercise.course_id):
            raise NotEnrolled()
        user_id = principal.user_id  # a learner's filter is always themself
    rows, total = await submissions_repo.list_submissions(
        session, exercise.id, page, user_id=user_id, status=status.value if status else None
    )
    return [SubmissionSummaryRecord.of(r) for r in rows], total


async def give_feedback(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, feedback: Feedback
) -> SubmissionRecord:
    """Instructor feedback on a submission: the analysis becomes ``HYBRID`` (with the
    machine-made metrics) or ``MANUAL``."""
    submission, grader = await policies.readable_submission(session, principal, submission_id)
    if not grader:
        raise NotCourseStaff()
    values = {
        "feedback": feedback.feedback,
        "strengths": list(feedback.strengths),
        "weaknesses": list(feedback.weaknesses),
        "suggestions": list(feedback.suggestions),
        "overall_score": feedback.overall_score,
        "analyzed_by": principal.user_id,
    }
    await submissions_repo.save_feedback(session, submission.id, values, utcnow())
    results = await submissions_repo.results_of(session, submission.id)
    analysis = await submissions_repo.analysis_of(session, submission.id)
    return SubmissionRecord.of(submission, results, analysis)
