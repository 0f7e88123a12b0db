"""Catalog's public data: enums and frozen DTOs other contexts may import (the doorway)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from campus.identity.data import INSTRUCTOR
from campus.kernel.module import Permission
from campus.kernel.money import Money

# --------------------------------------------------------------------------- permissions

COURSE_CREATE: Final = "course:create"
COURSE_EDIT_ANY: Final = "course:edit_any"
COURSE_PUBLISH: Final = "course:publish"
COURSE_DELETE_ANY: Final = "course:delete_any"
CATEGORY_MANAGE: Final = "category:manage"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(
        COURSE_CREATE, "Create courses and edit one's own courses.", frozenset({INSTRUCTOR})
    ),
    Permission(COURSE_EDIT_ANY, "Edit any course."),
    Permission(COURSE_PUBLISH, "Publish and unpublish any course."),
    Permission(COURSE_DELETE_ANY, "Delete any course."),
    Permission(CATEGORY_MANAGE, "Manage catalog categories and tags."),
)


class CourseStatus(StrEnum):
    """The course's place in the catalog (seed 001 ``publication_status``)."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class VersionStatus(StrEnum):
    """A curriculum version: edited as a draft, reviewed, then frozen for good."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"


class CourseLevel(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class LessonType(StrEnum):
    VIDEO = "video"
    ARTICLE = "article"
    DOCUMENT = "document"
    CODE_EXAMPLE = "code_example"
    INTERACTIVE = "interactive"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"


class LessonStatus(StrEnum):
    """A draft lesson stays hidden from learners even inside a published version."""

    DRAFT = "draft"
    PUBLISHED = "published"


class ContentUrlType(StrEnum):
    """Kinds of content a lesson links to (seed 000 ``content_url``)."""

    VIDEO = "video"
    AUDIO = "audio"
    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"
    IMAGE = "image"
    CODE = "code"
    LINK = "link"


class PricingTier(StrEnum):
    """Seed 002 ``course_pricing`` tiers."""

    BASIC = "basic"
    PRO = "pro"
    PREMIUM = "premium"


@dataclass(frozen=True, slots=True)
class ContentUrl:
    type: ContentUrlType
    url: str


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    url: str
    size_bytes: int | None
    mime_type: str | None


@dataclass(frozen=True, slots=True)
class LessonOutline:
    """One lesson of a version, without its body. ``lineage_id`` is the same in every version
    for "the same" lesson, so progress can follow a learner to a newer version."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    module_id: uuid.UUID
    position: int
    title: str
    type: LessonType
    duration_seconds: int
    estimated_minutes: int | None
    is_required: bool
    is_preview: bool
    quiz_id: uuid.UUID | None
    assignment_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ModuleOutline:
    id: uuid.UUID
    lineage_id: uuid.UUID
    position: int
    title: str
    description: str | None
    estimated_minutes: int | None
    #: Locked until the previous module is completed.
    is_locked: bool
    #: Its lessons must be taken in order.
    is_sequential: bool
    lessons: tuple[LessonOutline, ...]

    @property
    def duration_seconds(self) -> int:
        return sum(lesson.duration_seconds for lesson in self.lessons)


@dataclass(frozen=True, slots=True)
class VersionStructure:
    """A version's curriculum as learners see it (published lessons only). Immutable once the
    version is published; other contexts read it by id for as long as they need it."""

    id: uuid.UUID
    course_id: uuid.UUID
    number: int
    status: VersionStatus
    is_current: bool
    published_at: datetime | None
    changelog: str | None
    #: Minimum quiz score (percent) a learner needs for the certificate; ``None``: no minimum.
    min_quiz_score_for_certificate: int | None
    modules: tuple[ModuleOutline, ...]

    @property
    def lessons(self) -> tuple[LessonOutline, ...]:
        return tuple(lesson for module in self.modules for lesson in module.lessons)

    @property
    def required_lesson_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(lesson.id for lesson in self.lessons if lesson.is_required)

    @property
    def duration_seconds(self) -> int:
        return sum(module.duration_seconds for module in self.modules)

    def lesson_by_lineage(self, lineage_id: uuid.UUID) -> LessonOutline | None:
        return next((x for x in self.lessons if x.lineage_id == lineage_id), None)


@dataclass(frozen=True, slots=True)
class CourseSummary:
    id: uuid.UUID
    slug: str
    title: str
    subtitle: str | None
    status: CourseStatus
    language: str
    level: CourseLevel
    category_id: uuid.UUID | None
    primary_instructor_id: uuid.UUID
    thumbnail_url: str | None
    has_certificate: bool
    is_free: bool
    #: ``None`` for free courses.
    price: Money | None
    current_version_id: uuid.UUID | None
    published_at: datetime | None
    duration_seconds: int
    enrollment_count: int
    rating_average: Decimal
    rating_count: int
    track_slug: str | None

    @property
    def is_published(self) -> bool:
        return self.status is CourseStatus.PUBLISHED


@dataclass(frozen=True, slots=True)
class LessonContent:
    """Everything a learner needs to render one lesson (in the language asked for, when a
    translation exists; ``language`` says which was served)."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    module_id: uuid.UUID
    title: str
    type: LessonType
    status: LessonStatus
    language: str
    body: str | None
    content_urls: tuple[ContentUrl, ...]
    video_url: str | None
    video_duration_seconds: int | None
    presentation_url: str | None
    attachments: tuple[Attachment, ...]
    quiz_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    is_preview: bool
    is_required: bool
    estimated_minutes: int | None


@dataclass(frozen=True, slots=True)
class PurchasePrice:
    """What a course costs now, as commerce prices a cart: the base ``price`` (``None`` for
    free courses) and the active pricing tiers' prices, all in the course's currency."""

    course_id: uuid.UUID
    title: str
    status: CourseStatus
    is_free: bool
    price: Money | None
    tier_prices: dict[PricingTier, Money]
    instructor_ids: tuple[uuid.UUID, ...]
    primary_instructor_id: uuid.UUID
    category_id: uuid.UUID | None

    @property
    def is_published(self) -> bool:
        return self.status is CourseStatus.PUBLISHED
