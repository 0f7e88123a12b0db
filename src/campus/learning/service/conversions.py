"""Enrollment and progress rows as the doorway's DTOs and as wire models."""

from __future__ import annotations

from datetime import datetime

from campus.learning.data import EnrollmentSource, EnrollmentSummary, ProgressStatus
from campus.learning.models import Enrollment, LessonProgress
from campus.learning.schemas.enrollments import EnrollmentOut
from campus.learning.schemas.learn import LessonProgressOut
from campus.learning.service.enrollment_status import effective_status


def summary(row: Enrollment, now: datetime) -> EnrollmentSummary:
    return EnrollmentSummary(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        version_id=row.version_id,
        status=effective_status(row, now),
        source=EnrollmentSource(row.source),
        tier=row.tier,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        progress_percent=row.progress_percent,
        completed_items=row.completed_items,
        total_items=row.total_items,
        last_activity_at=row.last_activity_at,
    )


def enrollment_out(row: Enrollment, now: datetime) -> EnrollmentOut:
    return EnrollmentOut(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        version_id=row.version_id,
        status=effective_status(row, now),
        source=EnrollmentSource(row.source),
        tier=row.tier,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        progress_percent=row.progress_percent,
        completed_items=row.completed_items,
        total_items=row.total_items,
        last_activity_at=row.last_activity_at,
    )


def lesson_progress_out(row: LessonProgress | None) -> LessonProgressOut:
    if row is None:
        return LessonProgressOut(
            status=ProgressStatus.NOT_STARTED,
            view_count=0,
            position_seconds=0,
            watched_seconds=0,
            started_at=None,
            last_viewed_at=None,
            completed_at=None,
            completed_by=None,
        )
    return LessonProgressOut.model_validate(
        {
            "status": ProgressStatus.COMPLETED if row.completed_at else ProgressStatus(row.status),
            "view_count": row.view_count,
            "position_seconds": row.position_seconds,
            "watched_seconds": row.watched_seconds,
            "started_at": row.started_at,
            "last_viewed_at": row.last_viewed_at,
            "completed_at": row.completed_at,
            "completed_by": row.completed_by,
        }
    )
