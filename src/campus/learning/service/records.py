"""The domain objects learning's services return (frozen; the endpoints map them to wire models
with ``XOut.of(...)``). Catalog, identity and learning DTOs are held as they are."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from campus.catalog.data import CourseSummary, LessonContent, LessonOutline, ModuleOutline
from campus.kernel.pagination import PageParams
from campus.learning.data import (
    ActivityType,
    BulkRowResult,
    CompletionSource,
    EnrollmentStatus,
    EnrollmentSummary,
    JobStatus,
    ProgressStatus,
)
from campus.learning.service.curricula import Lock, ModuleFigures

#: How an enrollment request ended: a new enrollment, a cancelled or expired one active again,
#: or the learner's existing one (nothing changed).
Outcome = Literal["created", "reactivated", "existing"]

# --------------------------------------------------------------------------- enrollments


@dataclass(frozen=True, slots=True)
class EnrollmentRecord:
    """An enrollment as its learner and the course's staff see it: the summary other contexts
    know, and when access ended."""

    summary: EnrollmentSummary
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Admission:
    """The enrollment after ``POST /enrollments`` and how the request ended."""

    enrollment: EnrollmentRecord
    outcome: Outcome


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True, slots=True)
class LessonPlace:
    """A lesson of a curriculum with the module holding it."""

    lesson: LessonOutline
    module: ModuleOutline


@dataclass(frozen=True, slots=True)
class LessonState:
    """One lesson of the outline: its status, its lock and the learner's figures on it."""

    lesson: LessonOutline
    status: ProgressStatus
    lock: Lock | None
    view_count: int
    position_seconds: int
    watched_seconds: int
    last_viewed_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ModuleState:
    """One module of the outline: its figures, the stored progress dates and its lessons."""

    figures: ModuleFigures
    started_at: datetime | None
    completed_at: datetime | None
    last_accessed_at: datetime | None
    lessons: tuple[LessonState, ...]


@dataclass(frozen=True, slots=True)
class EnrollmentOutline:
    """The enrolled version with the learner's progress, locks and next lesson (no modules and
    version 0 when the version is gone)."""

    enrollment: EnrollmentRecord
    version_number: int
    upgrade_available: bool
    next_lesson: LessonPlace | None
    modules: tuple[ModuleState, ...]


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where to continue: ``resume`` the unfinished lesson opened last, the ``next`` open lesson
    not done, or nothing left (``completed``)."""

    enrollment_id: uuid.UUID
    reason: Literal["resume", "next", "completed"]
    lesson: LessonPlace | None
    position_seconds: int


# --------------------------------------------------------------------------- lessons


@dataclass(frozen=True, slots=True)
class LessonProgressRecord:
    """One learner's progress on one lesson (all zero before the first opening)."""

    status: ProgressStatus
    view_count: int
    position_seconds: int
    watched_seconds: int
    started_at: datetime | None
    last_viewed_at: datetime | None
    completed_at: datetime | None
    completed_by: CompletionSource | None


@dataclass(frozen=True, slots=True)
class LessonReading:
    """A lesson's content as served; ``enrollment_id`` and ``progress`` are ``None`` for course
    staff reading without an enrollment."""

    content: LessonContent
    enrollment_id: uuid.UUID | None
    progress: LessonProgressRecord | None


@dataclass(frozen=True, slots=True)
class LessonProgressUpdate:
    """A lesson's progress after starting or completing it, with the course figures."""

    lesson_id: uuid.UUID
    lineage_id: uuid.UUID
    enrollment_id: uuid.UUID
    progress: LessonProgressRecord
    course_progress_percent: int
    completed_items: int
    total_items: int
    enrollment_status: EnrollmentStatus


@dataclass(frozen=True, slots=True)
class HeartbeatCredit:
    """What a video heartbeat left: the credited position and time, and whether the video is
    complete (``required_seconds`` watched)."""

    lesson_id: uuid.UUID
    position_seconds: int
    watched_seconds: int
    duration_seconds: int
    required_seconds: int
    completed: bool


# --------------------------------------------------------------------------- dashboards


@dataclass(frozen=True, slots=True)
class MyCourse:
    """One course of the learner's dashboard."""

    enrollment: EnrollmentSummary
    course: CourseSummary
    next_lesson: LessonPlace | None
    upgrade_available: bool


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One line of the learner's activity feed (``data``: titles as they were, and details)."""

    id: uuid.UUID
    type: ActivityType
    occurred_at: datetime
    course_id: uuid.UUID
    course_title: str | None
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ActivityFeed:
    """A page of the feed, newest first; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[ActivityItem, ...]
    next_cursor: str | None


# --------------------------------------------------------------------------- rosters


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One learner of a course roster: the enrollment with the learner's name and email
    (``None`` when identity no longer knows the account)."""

    enrollment: EnrollmentSummary
    name: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class RosterLearner:
    entry: RosterEntry
    outline: EnrollmentOutline


@dataclass(frozen=True, slots=True)
class RosterExportRecord:
    """A roster export job and its result."""

    id: uuid.UUID
    course_id: uuid.UUID
    status: JobStatus
    row_count: int
    byte_size: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None


# --------------------------------------------------------------------------- bulk enrollment


@dataclass(frozen=True, slots=True)
class BulkRowRecord:
    """One row of a bulk enrollment file; ``result`` is ``None`` until the job handled it."""

    row_number: int
    email: str | None
    course_ref: str | None
    mode: str | None
    expires_at: datetime | None
    result: BulkRowResult | None
    reason: str | None
    enrollment_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class BulkBatchRecord:
    """A bulk enrollment batch with its result counts and one page of its rows (``page``: the
    page they are, of ``total_rows``)."""

    id: uuid.UUID
    status: JobStatus
    file_name: str
    total_rows: int
    counts: Mapping[str, int]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows: tuple[BulkRowRecord, ...]
    page: PageParams
