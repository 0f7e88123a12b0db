"""Catalog events (published through the outbox in the same transaction as the change).

Names are stable. Payloads carry ids as strings and timestamps as ISO 8601 UTC; handlers load
anything else they need through ``catalog.api``.

``catalog.course_submitted``  an instructor sent a curriculum version for review
    {courseId, versionId, versionNumber, submittedBy, submittedAt}
``catalog.course_published``  a version was approved and is now the course's current version
    {courseId, versionId, versionNumber, previousVersionId, firstPublication, slug, title,
     primaryInstructorId, instructorIds, publishedAt}
``catalog.course_sent_back``  a reviewer returned a version to draft with notes
    {courseId, versionId, versionNumber, reviewerId, notes, sentBackAt}
``catalog.course_updated``    course fields changed (``fields`` lists the wire names)
    {courseId, status, fields, updatedBy, updatedAt}
``catalog.course_archived``   the course left the public catalog (learners keep access)
    {courseId, archivedBy, archivedAt}
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from campus.kernel.events import Event


class CourseSubmitted(Event):
    name: ClassVar[str] = "catalog.course_submitted"

    course_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    submitted_by: uuid.UUID
    submitted_at: datetime


class CoursePublished(Event):
    name: ClassVar[str] = "catalog.course_published"

    course_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    previous_version_id: uuid.UUID | None
    first_publication: bool
    slug: str
    title: str
    primary_instructor_id: uuid.UUID
    instructor_ids: list[uuid.UUID]
    published_at: datetime


class CourseSentBack(Event):
    name: ClassVar[str] = "catalog.course_sent_back"

    course_id: uuid.UUID
    version_id: uuid.UUID
    version_number: int
    reviewer_id: uuid.UUID
    notes: str
    sent_back_at: datetime


class CourseUpdated(Event):
    name: ClassVar[str] = "catalog.course_updated"

    course_id: uuid.UUID
    status: str
    fields: list[str]
    updated_by: uuid.UUID
    updated_at: datetime


class CourseArchived(Event):
    name: ClassVar[str] = "catalog.course_archived"

    course_id: uuid.UUID
    archived_by: uuid.UUID
    archived_at: datetime
