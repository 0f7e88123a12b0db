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

from typing import Final, TypedDict

COURSE_SUBMITTED: Final = "catalog.course_submitted"
COURSE_PUBLISHED: Final = "catalog.course_published"
COURSE_SENT_BACK: Final = "catalog.course_sent_back"
COURSE_UPDATED: Final = "catalog.course_updated"
COURSE_ARCHIVED: Final = "catalog.course_archived"

ALL_EVENTS: Final = (
    COURSE_SUBMITTED,
    COURSE_PUBLISHED,
    COURSE_SENT_BACK,
    COURSE_UPDATED,
    COURSE_ARCHIVED,
)


class CourseSubmitted(TypedDict):
    courseId: str
    versionId: str
    versionNumber: int
    submittedBy: str
    submittedAt: str


class CoursePublished(TypedDict):
    courseId: str
    versionId: str
    versionNumber: int
    previousVersionId: str | None
    firstPublication: bool
    slug: str
    title: str
    primaryInstructorId: str
    instructorIds: list[str]
    publishedAt: str


class CourseSentBack(TypedDict):
    courseId: str
    versionId: str
    versionNumber: int
    reviewerId: str
    notes: str
    sentBackAt: str


class CourseUpdated(TypedDict):
    courseId: str
    status: str
    fields: list[str]
    updatedBy: str
    updatedAt: str


class CourseArchived(TypedDict):
    courseId: str
    archivedBy: str
    archivedAt: str
