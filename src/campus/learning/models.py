"""Learning ORM models. No relationships, no foreign keys out of the context: users, courses,
versions, modules and lessons are ids owned by identity and the catalog.

Progress is keyed by *lineage* ids (stable across course versions), so it follows a learner who
moves to a newer version (docs/adr/0010-learning-enrollments-and-progress.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONType, TimestampMixin

_ENROLLMENT_STATUSES = "'active', 'completed', 'cancelled_by_user', 'revoked_by_admin', 'expired'"
_PROGRESS_STATUSES = "'not_started', 'in_progress', 'completed'"
_JOB_STATUSES = "'pending', 'running', 'done', 'failed'"


class Enrollment(IdMixin, TimestampMixin, Base):
    """One row per (learner, course), whatever happens to it: re-enrolling reactivates the row
    (and so keeps its progress). Progress figures are denormalised here for rosters/dashboards."""

    __tablename__ = "learning_enrollments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id"),
        sa.Index("ix_learning_enrollments_course_status", "course_id", "status"),
        sa.Index("ix_learning_enrollments_course_id", "course_id", "id"),
        sa.Index("ix_learning_enrollments_user_activity", "user_id", "last_activity_at"),
        sa.Index("ix_learning_enrollments_status_expires", "status", "expires_at"),
        sa.CheckConstraint(f"status IN ({_ENROLLMENT_STATUSES})", name="status"),
        sa.CheckConstraint(
            "source IN ('free', 'purchase', 'subscription', 'grant')", name="source"
        ),
        sa.CheckConstraint(
            "progress_percent >= 0 AND progress_percent <= 100", name="progress_range"
        ),
        sa.CheckConstraint(
            "completed_items >= 0 AND completed_items <= total_items", name="items_range"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    #: The course version the learner is pinned to (current at enrollment or upgrade).
    version_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(24), default="active")
    source: Mapped[str] = mapped_column(sa.String(16))
    tier: Mapped[str | None] = mapped_column(sa.String(16))
    entitlement_id: Mapped[uuid.UUID | None] = mapped_column()
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Last time the enrollment became active (first enrollment or a reactivation).
    activated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set once, never cleared: the completion is a fact even if access later ends.
    completed_at: Mapped[datetime | None] = mapped_column()
    #: When access ended (cancelled, revoked or expired); cleared on reactivation.
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[uuid.UUID | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))
    expires_at: Mapped[datetime | None] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Lineage of the lesson opened last (the resume point).
    last_lesson_lineage_id: Mapped[uuid.UUID | None] = mapped_column()
    progress_percent: Mapped[int] = mapped_column(default=0)
    completed_items: Mapped[int] = mapped_column(default=0)
    total_items: Mapped[int] = mapped_column(default=0)


class Entitlement(IdMixin, TimestampMixin, Base):
    """The right to enroll in a paid course. ``(user, course, source, reference)`` is the natural
    key, so a payment webhook delivered twice grants once (``reference`` is '' for grants)."""

    __tablename__ = "learning_entitlements"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", "source", "reference"),
        sa.Index("ix_learning_entitlements_course", "course_id", "granted_at"),
        sa.CheckConstraint("source IN ('purchase', 'subscription', 'grant')", name="source"),
        sa.CheckConstraint("status IN ('active', 'revoked')", name="status"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(16))
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    tier: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[uuid.UUID | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by: Mapped[uuid.UUID | None] = mapped_column()


class LessonProgress(IdMixin, TimestampMixin, Base):
    """Seed 003 ``MaterialProgress`` + seed 002 ``watch_time_seconds``, per lesson lineage."""

    __tablename__ = "learning_lesson_progress"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "lesson_lineage_id"),
        sa.Index("ix_learning_lesson_progress_user_course", "user_id", "course_id"),
        sa.CheckConstraint(f"status IN ({_PROGRESS_STATUSES})", name="status"),
        sa.CheckConstraint(
            "watched_seconds >= 0 AND position_seconds >= 0 AND view_count >= 0",
            name="not_negative",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    lesson_lineage_id: Mapped[uuid.UUID] = mapped_column()
    #: The lesson row last opened (of the learner's version at the time).
    lesson_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    view_count: Mapped[int] = mapped_column(default=0)
    position_seconds: Mapped[int] = mapped_column(default=0)
    watched_seconds: Mapped[int] = mapped_column(default=0)
    #: Unix seconds of the last heartbeat (or of the start): the wall-clock budget for the next
    #: heartbeat's watched time. Integer seconds keep the heartbeat one portable UPDATE.
    heartbeat_epoch: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by: Mapped[str | None] = mapped_column(sa.String(16))


class ModuleProgress(IdMixin, Base):
    """Seed 003 ``ModuleProgress``, per module lineage (figures of the enrolled version)."""

    __tablename__ = "learning_module_progress"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "module_lineage_id"),
        sa.Index("ix_learning_module_progress_user_course", "user_id", "course_id"),
        sa.CheckConstraint(f"status IN ({_PROGRESS_STATUSES})", name="status"),
        sa.CheckConstraint(
            "progress_percent >= 0 AND progress_percent <= 100", name="progress_range"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    module_lineage_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="not_started")
    progress_percent: Mapped[int] = mapped_column(default=0)
    completed_items: Mapped[int] = mapped_column(default=0)
    total_items: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    last_accessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Activity(IdMixin, Base):
    """Seed 003 ``UserActivity``: the learner's feed. ``data`` holds titles as they were."""

    __tablename__ = "learning_activities"
    __table_args__ = (sa.Index("ix_learning_activities_user_time", "user_id", "occurred_at", "id"),)

    user_id: Mapped[uuid.UUID] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(32))
    course_id: Mapped[uuid.UUID] = mapped_column()
    enrollment_id: Mapped[uuid.UUID] = mapped_column()
    module_id: Mapped[uuid.UUID | None] = mapped_column()
    lesson_id: Mapped[uuid.UUID | None] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class BulkBatch(IdMixin, Base):
    """A CSV bulk enrollment upload; its rows live in ``learning_bulk_rows`` (never on disk)."""

    __tablename__ = "learning_bulk_batches"
    __table_args__ = (sa.CheckConstraint(f"status IN ({_JOB_STATUSES})", name="status"),)

    created_by: Mapped[uuid.UUID] = mapped_column()
    file_name: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    total_rows: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class BulkRow(Base):
    """One data row of a bulk upload. ``result`` is NULL until the job has handled it."""

    __tablename__ = "learning_bulk_rows"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("learning_bulk_batches.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(320))
    course_ref: Mapped[str | None] = mapped_column(sa.String(200))
    mode: Mapped[str | None] = mapped_column(sa.String(16))
    expires_at: Mapped[datetime | None] = mapped_column()
    result: Mapped[str | None] = mapped_column(sa.String(24))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column()


class RosterExport(IdMixin, Base):
    """A roster CSV produced by a job into ``<data_dir>/exports/<id>.csv``."""

    __tablename__ = "learning_roster_exports"
    __table_args__ = (
        sa.Index("ix_learning_roster_exports_course", "course_id", "created_at"),
        sa.CheckConstraint(f"status IN ({_JOB_STATUSES})", name="status"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column()
    requested_by: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    row_count: Mapped[int] = mapped_column(default=0)
    byte_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
