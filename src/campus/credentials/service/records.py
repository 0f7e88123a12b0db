"""What credentials' services return: frozen records, never ORM rows or wire models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campus.credentials.models import Badge, Certificate


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    id: uuid.UUID
    public_id: str
    number: str
    verification_code: str
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    status: str
    learner_name: str
    course_title: str
    language: str
    completed_at: datetime
    issued_at: datetime | None
    expires_at: datetime | None
    score: str | None
    grade: str | None
    hours: str | None
    is_public: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    rejection_reason: str | None
    revision: int
    render_status: str

    @classmethod
    def of(cls, row: Certificate) -> CertificateRecord:
        details: dict[str, Any] = row.details or {}
        return cls(
            id=row.id,
            public_id=row.public_id,
            number=row.number,
            verification_code=row.verification_code,
            user_id=row.user_id,
            course_id=row.course_id,
            version_id=row.version_id,
            status=row.status,
            learner_name=row.learner_name,
            course_title=row.course_title,
            language=row.language,
            completed_at=row.completed_at,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            score=details.get("score"),
            grade=details.get("grade"),
            hours=details.get("hours"),
            is_public=row.is_public,
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
            rejection_reason=row.rejection_reason,
            revision=row.revision,
            render_status=row.render_status,
        )


@dataclass(frozen=True, slots=True)
class Verification:
    """What the public verification shows: nothing beyond the page."""

    public_id: str
    number: str
    learner_name: str
    course_title: str
    issuer: str
    issued_at: datetime
    expires_at: datetime | None
    state: str  # valid | expired | revoked
    revoked_at: datetime | None
    revocation_reason: str | None


@dataclass(frozen=True, slots=True)
class Download:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class BadgeRecord:
    id: uuid.UUID
    kind: str
    subject_id: uuid.UUID
    course_id: uuid.UUID
    name: str
    course_title: str
    issued_at: datetime

    @classmethod
    def of(cls, row: Badge) -> BadgeRecord:
        return cls(
            row.id, row.kind, row.subject_id, row.course_id, row.name, row.course_title,
            row.issued_at,
        )  # fmt: skip
