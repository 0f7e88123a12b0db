"""Per-course routes for instructors and administrators: rosters, roster exports and
complimentary access (entitlements)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, model_validator

from campus.catalog.data import PricingTier
from campus.kernel.schemas import ApiModel, InputModel, Instant
from campus.learning.data import (
    EnrollmentSource,
    EnrollmentStatus,
    EntitlementSource,
    EntitlementStatus,
    EntitlementSummary,
    JobStatus,
)
from campus.learning.schemas.enrollments import ProgressOutline
from campus.learning.service.records import RosterEntry, RosterExportRecord, RosterLearner

# --------------------------------------------------------------------------- rosters


class RosterEntryOut(ApiModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    name: str | None
    email: str | None
    status: EnrollmentStatus
    source: EnrollmentSource
    tier: str | None
    progress_percent: int
    completed_items: int
    total_items: int
    enrolled_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, entry: RosterEntry) -> RosterEntryOut:
        e = entry.enrollment
        return cls(
            enrollment_id=e.id,
            user_id=e.user_id,
            name=entry.name,
            email=entry.email,
            status=e.status,
            source=e.source,
            tier=e.tier,
            progress_percent=e.progress_percent,
            completed_items=e.completed_items,
            total_items=e.total_items,
            enrolled_at=e.enrolled_at,
            last_activity_at=e.last_activity_at,
            completed_at=e.completed_at,
            expires_at=e.expires_at,
        )


class RosterLearnerOut(ApiModel):
    learner: RosterEntryOut
    outline: ProgressOutline

    @classmethod
    def of(cls, learner: RosterLearner) -> RosterLearnerOut:
        return cls(
            learner=RosterEntryOut.of(learner.entry), outline=ProgressOutline.of(learner.outline)
        )


class RosterExportOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    status: JobStatus
    row_count: int
    byte_size: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    #: Where to fetch the CSV once ``status`` is ``done``.
    download_url: str | None

    @classmethod
    def of(cls, export: RosterExportRecord) -> RosterExportOut:
        done = export.status is JobStatus.DONE
        return cls(
            id=export.id,
            course_id=export.course_id,
            status=export.status,
            row_count=export.row_count,
            byte_size=export.byte_size,
            created_at=export.created_at,
            finished_at=export.finished_at,
            error=export.error,
            download_url=(
                f"/api/v1/courses/{export.course_id}/roster-exports/{export.id}/download"
                if done
                else None
            ),
        )


# --------------------------------------------------------------------------- entitlements


class GrantRequest(InputModel):
    """Complimentary access for one learner, named by id or by email."""

    user_id: uuid.UUID | None = None
    email: str | None = Field(default=None, min_length=3, max_length=320)
    tier: PricingTier | None = None
    expires_at: Instant | None = None

    @model_validator(mode="after")
    def _one_learner(self) -> GrantRequest:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of userId and email")
        return self


class EntitlementOut(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    source: EntitlementSource
    tier: str | None
    reference: str | None
    status: EntitlementStatus
    granted_at: datetime
    granted_by: uuid.UUID | None
    expires_at: datetime | None

    @classmethod
    def of(cls, summary: EntitlementSummary) -> EntitlementOut:
        return cls(
            id=summary.id,
            user_id=summary.user_id,
            course_id=summary.course_id,
            source=summary.source,
            tier=summary.tier,
            reference=summary.reference,
            status=summary.status,
            granted_at=summary.granted_at,
            granted_by=summary.granted_by,
            expires_at=summary.expires_at,
        )
