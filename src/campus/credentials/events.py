"""Events credentials publishes (through the outbox, in the changing transaction), and its job
names.

``credentials.certificate_issued`` - a certificate was issued (once per learner and course
version; notifications email the learner the link)::

    {"certificateId", "publicId", "userId", "courseId", "versionId", "number", "issuedAt"}

``credentials.certificate_revoked`` - an issued certificate was revoked::

    {"certificateId", "publicId", "userId", "courseId", "reason", "revokedAt"}

``credentials.badge_issued`` - a module or track badge was awarded (once per learner and
subject)::

    {"badgeId", "userId", "courseId", "kind", "subjectId", "title", "issuedAt"}

Consumed: ``learning.course_completed``, ``learning.module_completed`` (module badges),
``learning.unenrolled`` (revocation for cause, when
configured), ``assessment.quiz_passed``, ``assessment.assignment_graded`` and
``assessment.code_submission_passed`` (grades that arrive after the completion).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from campus.kernel.events import Event


class CertificateIssued(Event):
    name: ClassVar[str] = "credentials.certificate_issued"

    certificate_id: uuid.UUID
    public_id: str
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    number: str
    issued_at: datetime


class CertificateRevoked(Event):
    name: ClassVar[str] = "credentials.certificate_revoked"

    certificate_id: uuid.UUID
    public_id: str
    user_id: uuid.UUID
    course_id: uuid.UUID
    reason: str
    revoked_at: datetime


class BadgeIssued(Event):
    name: ClassVar[str] = "credentials.badge_issued"

    badge_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    #: ``module`` or ``track``.
    kind: str
    #: The module's lineage id, or the course id for a track.
    subject_id: uuid.UUID
    title: str
    issued_at: datetime


#: Job: render a certificate's PDF and PNG {certificateId, revision}.
RENDER_JOB: Final = "credentials.render_certificate"
#: Job: reissue the next chunk of a bulk reissue run {runId, after: certificate id | None}.
REISSUE_JOB: Final = "credentials.reissue_chunk"
