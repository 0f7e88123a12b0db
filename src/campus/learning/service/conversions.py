"""Learning's rows as domain objects: the doorway's DTOs and the services' records."""

from __future__ import annotations

from datetime import datetime

from campus.learning.data import (
    CompletionSource,
    EnrollmentSource,
    EnrollmentSummary,
    EntitlementSource,
    EntitlementStatus,
    EntitlementSummary,
    JobStatus,
    ProgressStatus,
)
from campus.learning.models import Enrollment, Entitlement, LessonProgress, RosterExport
from campus.learning.service.enrollment_status import effective_status
from campus.learning.service.records import (
    EnrollmentRecord,
    LessonProgressRecord,
    RosterExportRecord,
)


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


def enrollment_record(row: Enrollment, now: datetime) -> EnrollmentRecord:
    return EnrollmentRecord(summary(row, now), row.ended_at)


def entitlement_summary(row: Entitlement) -> EntitlementSummary:
    return EntitlementSummary(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        source=EntitlementSource(row.source),
        tier=row.tier,
        reference=row.reference or None,
        status=EntitlementStatus(row.status),
        granted_at=row.granted_at,
        granted_by=row.granted_by,
        expires_at=row.expires_at,
    )


#: A lesson the learner never opened.
NOT_STARTED = LessonProgressRecord(
    status=ProgressStatus.NOT_STARTED,
    view_count=0,
    position_seconds=0,
    watched_seconds=0,
    started_at=None,
    last_viewed_at=None,
    completed_at=None,
    completed_by=None,
)


def lesson_progress(row: LessonProgress | None) -> LessonProgressRecord:
    if row is None:
        return NOT_STARTED
    return LessonProgressRecord(
        status=ProgressStatus.COMPLETED if row.completed_at else ProgressStatus(row.status),
        view_count=row.view_count,
        position_seconds=row.position_seconds,
        watched_seconds=row.watched_seconds,
        started_at=row.started_at,
        last_viewed_at=row.last_viewed_at,
        completed_at=row.completed_at,
        completed_by=None if row.completed_by is None else CompletionSource(row.completed_by),
    )


def roster_export(row: RosterExport) -> RosterExportRecord:
    return RosterExportRecord(
        id=row.id,
        course_id=row.course_id,
        status=JobStatus(row.status),
        row_count=row.row_count,
        byte_size=row.byte_size,
        created_at=row.created_at,
        finished_at=row.finished_at,
        error=row.error,
    )
