"""Report, moderation and sanction wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from campus.community.data import ModerationAction, SanctionKind, TargetType
from campus.community.service.records import LogRecord, ReportRecord, SanctionRecord
from campus.kernel.schemas import ApiModel, InputModel, Instant

Reason = Annotated[str, StringConstraints(min_length=3, max_length=500)]


class ReportIn(InputModel):
    target_type: TargetType
    target_id: uuid.UUID
    reason: Reason


class ReportCreatedOut(ApiModel):
    id: uuid.UUID


class ReportOut(ApiModel):
    id: uuid.UUID
    target_type: TargetType
    target_id: uuid.UUID
    course_id: uuid.UUID | None
    target_author_id: uuid.UUID
    #: ``null``: flagged by the content filter.
    reporter_id: uuid.UUID | None
    reason: str
    status: str
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, r: ReportRecord) -> ReportOut:
        return cls(
            id=r.id,
            target_type=TargetType(r.target_type),
            target_id=r.target_id,
            course_id=r.course_id,
            target_author_id=r.target_author_id,
            reporter_id=r.reporter_id,
            reason=r.reason,
            status=r.status,
            created_at=r.created_at,
            resolved_at=r.resolved_at,
        )


class ModerationActionIn(InputModel):
    action: ModerationAction
    note: Annotated[str, StringConstraints(max_length=500)] = ""
    #: For ``mute`` and ``ban``: how long (none: until lifted).
    days: int | None = Field(default=None, ge=1, le=3650)


class LogEntryOut(ApiModel):
    id: uuid.UUID
    moderator_id: uuid.UUID
    action: str
    target_type: str
    target_id: uuid.UUID
    course_id: uuid.UUID | None
    report_id: uuid.UUID | None
    note: str
    created_at: datetime

    @classmethod
    def of(cls, r: LogRecord) -> LogEntryOut:
        return cls(
            id=r.id,
            moderator_id=r.moderator_id,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            course_id=r.course_id,
            report_id=r.report_id,
            note=r.note,
            created_at=r.created_at,
        )


class SanctionIn(InputModel):
    user_id: uuid.UUID
    course_id: uuid.UUID | None = None
    kind: SanctionKind
    reason: Reason
    ends_at: Instant | None = None


class SanctionOut(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID | None
    kind: SanctionKind
    reason: str
    ends_at: datetime | None
    moderator_id: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, r: SanctionRecord) -> SanctionOut:
        return cls(
            id=r.id,
            user_id=r.user_id,
            course_id=r.course_id,
            kind=SanctionKind(r.kind),
            reason=r.reason,
            ends_at=r.ends_at,
            moderator_id=r.moderator_id,
            created_at=r.created_at,
        )
