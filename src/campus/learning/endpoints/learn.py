"""Lesson access and progress for enrolled learners."""

from __future__ import annotations

import uuid

from fastapi import Query

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.learning.endpoints.dependencies import LearningRules
from campus.learning.endpoints.errors import WRITE_ERRORS, errors
from campus.learning.schemas.learn import (
    HeartbeatIn,
    HeartbeatOut,
    LessonProgressResult,
    LessonView,
)
from campus.learning.service import lessons

router = api_router(prefix="/learn", tags=["learn"])
LESSON_ERRORS = errors(401, 403, 404, 409, 422)


@router.get(
    "/lessons/{lesson_id}",
    summary="Open a lesson: full content for enrolled learners (counts a view)",
    description=(
        "Learners need access to the course (403 `enrollment_required`, `enrollment_inactive`, "
        "`enrollment_revoked`) and the lesson must be open (403 `lesson_locked` with "
        "`details.reason` and `details.blockingLessonId`). A lesson id of another version of "
        "the course resolves to the learner's version by lineage (403 "
        "`lesson_not_in_enrolled_version` when their version lacks it). Instructors of the "
        "course and administrators read any lesson."
    ),
    response_model=LessonView,
    responses=errors(401, 403, 404, 422),
)
async def view_lesson(
    lesson_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: str | None = Query(None, max_length=35, description="Language to serve, e.g. 'fr'"),
) -> LessonView:
    return LessonView.of(await lessons.view_lesson(session, principal, lesson_id, lang))


@router.post(
    "/lessons/{lesson_id}/start",
    summary="Start a lesson (idempotent)",
    response_model=LessonProgressResult,
    responses=LESSON_ERRORS,
)
async def start_lesson(
    lesson_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> LessonProgressResult:
    return LessonProgressResult.of(await lessons.start_lesson(session, principal, lesson_id))


@router.post(
    "/lessons/{lesson_id}/heartbeat",
    summary="Video heartbeat: position and seconds watched since the last one",
    description=(
        "Watched time is monotonic, capped at the video's duration, and a heartbeat cannot "
        "claim more than the wall time since the last credited one (plus a small tolerance). "
        "The lesson completes once the configured share (default 90 %) was watched."
    ),
    response_model=HeartbeatOut,
    responses=WRITE_ERRORS,
)
async def heartbeat(
    lesson_id: uuid.UUID,
    body: HeartbeatIn,
    session: DbSession,
    principal: CurrentPrincipal,
    rules: LearningRules,
) -> HeartbeatOut:
    credit = await lessons.heartbeat(
        session,
        principal,
        lesson_id,
        position_seconds=body.position_seconds,
        watched_seconds=body.watched_seconds,
        rules=rules,
    )
    return HeartbeatOut.of(credit)


@router.post(
    "/lessons/{lesson_id}/complete",
    summary="Mark a text, document or code lesson complete (idempotent)",
    response_model=LessonProgressResult,
    responses=LESSON_ERRORS,
)
async def complete_lesson(
    lesson_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, rules: LearningRules
) -> LessonProgressResult:
    return LessonProgressResult.of(await lessons.complete(session, principal, lesson_id, rules))
