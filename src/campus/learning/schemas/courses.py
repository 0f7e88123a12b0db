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
    JobStatus,
)
from campus.learning.schemas.enrollments import ProgressOutline

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


class RosterLearnerOut(ApiModel):
    learner: RosterEntryOut
    outline: ProgressOutline


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
