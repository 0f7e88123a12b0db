"""Credentials' handlers: issuing from completions and late grades, revocation for cause, and
the rendering job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.events import AssignmentGraded, QuizPassed
from campus.coding.events import CodeSubmissionPassed
from campus.config import Settings
from campus.credentials import events
from campus.credentials.service import awards, certificates, issuance, reissue_runs, render_job
from campus.credentials.settings import CredentialsSettings
from campus.kernel.clock import utcnow
from campus.kernel.ids import parse_id
from campus.kernel.outbox import Delivery, HandlerRegistry
from campus.kernel.storage import local_storage
from campus.learning.events import CourseCompleted, ModuleCompleted, Unenrolled


def register(registry: HandlerRegistry, settings: Settings) -> None:
    files = local_storage(settings)

    async def issue_on_completion(session: AsyncSession, event: CourseCompleted) -> None:
        # Idempotent: the unique (user, version) insert issues at most once.
        await issuance.on_completed(
            session, settings, event.user_id, event.course_id, event.version_id, event.completed_at
        )

    async def module_badge(session: AsyncSession, event: ModuleCompleted) -> None:
        # Idempotent: the unique (user, kind, subject) insert awards at most once.
        await awards.on_module_completed(
            session,
            event.user_id,
            event.course_id,
            event.version_id,
            event.module_lineage_id,
            event.completed_at,
        )

    async def track_badge(session: AsyncSession, event: CourseCompleted) -> None:
        # Idempotent: the unique (user, kind, subject) insert awards at most once.
        await awards.on_course_completed(
            session, event.user_id, event.course_id, event.version_id, event.completed_at
        )

    async def quiz_passed(session: AsyncSession, event: QuizPassed) -> None:
        await issuance.on_passed(
            session, settings, event.user_id, event.course_id, event.quiz_id, utcnow()
        )

    async def assignment_graded(session: AsyncSession, event: AssignmentGraded) -> None:
        if event.passed:
            await issuance.on_passed(
                session,
                settings,
                event.user_id,
                event.course_id,
                event.assignment_id,
                event.graded_at,
            )

    async def code_passed(session: AsyncSession, event: CodeSubmissionPassed) -> None:
        await issuance.on_passed(
            session, settings, event.user_id, event.course_id, event.exercise_id, utcnow()
        )

    async def unenrolled(session: AsyncSession, event: Unenrolled) -> None:
        if event.reason == "revoked_by_admin" and (
            CredentialsSettings.of(settings).revoke_on_enrollment_revoked
        ):
            await certificates.revoke_for_cause(session, event.user_id, event.course_id)

    async def render(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: a revision already rendered (or superseded) is not stored again.
        certificate_id = parse_id(str(delivery.payload.get("certificateId")))
        revision = int(delivery.payload.get("revision", 1))
        if certificate_id is not None:
            await render_job.render(session, settings, files, certificate_id, revision)

    async def reissue_chunk(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent per chunk: the run row is locked and a finished run does nothing.
        run_id = parse_id(str(delivery.payload.get("runId")))
        after = delivery.payload.get("after")
        if run_id is not None:
            await reissue_runs.run_chunk(
                session, run_id, parse_id(str(after)) if after is not None else None
            )

    registry.job(events.REISSUE_JOB, reissue_chunk)
    registry.on(CourseCompleted, "credentials.issue_certificate", issue_on_completion)
    registry.on(ModuleCompleted, "credentials.module_badge", module_badge)
    registry.on(CourseCompleted, "credentials.track_badge", track_badge)
    registry.on(QuizPassed, "credentials.quiz_passed", quiz_passed)
    registry.on(AssignmentGraded, "credentials.assignment_graded", assignment_graded)
    registry.on(CodeSubmissionPassed, "credentials.code_submission_passed", code_passed)
    registry.on(Unenrolled, "credentials.revoke_for_cause", unenrolled)
    registry.job(events.RENDER_JOB, render)
