"""The domain objects the catalog's services return (frozen; the endpoints map them to the wire
models in ``schemas``, ``XOut.of(record)``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from campus.catalog.data import (
    Attachment,
    ContentUrl,
    CourseLevel,
    CourseStatus,
    LessonStatus,
    LessonType,
    PricingTier,
    VersionStatus,
)
from campus.kernel.money import Money

_CENTS = Decimal("0.01")


def seconds_of(video_seconds: int | None, estimated_minutes: int | None) -> int:
    """A lesson's duration: its video's length, else its estimated minutes."""
    if video_seconds is not None:
        return video_seconds
    return (estimated_minutes or 0) * 60


def rating_of(hundredths: int) -> Decimal:
    """The average rating (stored in hundredths) with two decimals."""
    return (Decimal(hundredths) / 100).quantize(_CENTS)


# --------------------------------------------------------------------------- course parts


@dataclass(frozen=True, slots=True)
class CategoryLabel:
    id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class TagLabel:
    slug: str
    label: str


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """The programming-language track a course is (seed 003)."""

    slug: str
    name: str
    icon: str | None
    difficulty: str | None


@dataclass(frozen=True, slots=True)
class InstructorCredit:
    """A teacher of a course, with the public card identity knows (``None`` fields when the
    user is missing or inactive)."""

    user_id: uuid.UUID
    display_name: str | None
    headline: str | None
    avatar_url: str | None
    is_primary: bool


@dataclass(frozen=True, slots=True)
class TierPrice:
    tier: PricingTier
    price: Money
    original_price: Money | None
    features: tuple[str, ...]
    is_active: bool


@dataclass(frozen=True, slots=True)
class TranslationLabel:
    """A translation an item has: its language and translated title."""

    language: str
    title: str


# --------------------------------------------------------------------------- authoring


@dataclass(frozen=True, slots=True)
class LessonRecord:
    """A lesson of any version with its full content, as its authors see it."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    module_id: uuid.UUID
    version_id: uuid.UUID
    position: int
    title: str
    type: LessonType
    status: LessonStatus
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
    duration_seconds: int
    translations: tuple[TranslationLabel, ...]


@dataclass(frozen=True, slots=True)
class ModuleRecord:
    """A module of any version with all its lessons; ``duration_seconds`` counts its
    published lessons only."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    version_id: uuid.UUID
    position: int
    title: str
    description: str | None
    estimated_minutes: int | None
    is_locked: bool
    is_sequential: bool
    duration_seconds: int
    translations: tuple[TranslationLabel, ...]
    lessons: tuple[LessonRecord, ...]


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: uuid.UUID
    number: int
    status: VersionStatus
    is_current: bool
    changelog: str | None
    min_quiz_score_for_certificate: int | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    review_notes: str | None
    published_at: datetime | None
    duration_seconds: int
    module_count: int
    lesson_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VersionDetailRecord:
    version: VersionRecord
    modules: tuple[ModuleRecord, ...]


@dataclass(frozen=True, slots=True)
class CourseTranslationRecord:
    language: str
    title: str
    subtitle: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class AuthoringCourseRecord:
    """Everything an author sees of a course: any status, the working curriculum (the draft
    version's when there is one, else the current version's) with full lesson content."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str | None
    description: str | None
    status: CourseStatus
    language: str
    level: CourseLevel
    category: CategoryLabel | None
    tags: tuple[TagLabel, ...]
    thumbnail_url: str | None
    trailer_url: str | None
    requirements: tuple[str, ...]
    objectives: tuple[str, ...]
    has_certificate: bool
    is_free: bool
    #: ``None`` for free courses.
    price: Money | None
    pricing_tiers: tuple[TierPrice, ...]
    track: TrackInfo | None
    primary_instructor_id: uuid.UUID
    instructors: tuple[InstructorCredit, ...]
    enrollment_count: int
    rating_average: Decimal
    rating_count: int
    duration_seconds: int
    published_at: datetime | None
    archived_at: datetime | None
    current_version: VersionRecord | None
    #: The version being edited or reviewed (``None`` when the curriculum is as published).
    draft_version: VersionRecord | None
    curriculum: tuple[ModuleRecord, ...]
    translations: tuple[CourseTranslationRecord, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuthoringCardRecord:
    """A course in its teachers' (or the catalog staff's) list."""

    id: uuid.UUID
    slug: str
    title: str
    status: CourseStatus
    language: str
    level: CourseLevel
    primary_instructor_id: uuid.UUID
    is_primary_instructor: bool
    draft_version_status: VersionStatus | None
    review_notes: str | None
    enrollment_count: int
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """A sequence after a reorder or move: the ids in their new order."""

    version_id: uuid.UUID
    ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class MoveRecord:
    lesson: LessonRecord
    source_module_order: tuple[uuid.UUID, ...]
    target_module_order: tuple[uuid.UUID, ...]


# --------------------------------------------------------------------------- public catalog


@dataclass(frozen=True, slots=True)
class CourseCardRecord:
    """A published course in public lists, its texts in ``language`` (``default_language``
    is the course's own)."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str | None
    language: str
    default_language: str
    level: CourseLevel
    category: CategoryLabel | None
    tags: tuple[TagLabel, ...]
    thumbnail_url: str | None
    is_free: bool
    #: ``None`` for free courses.
    price: Money | None
    rating_average: Decimal
    rating_count: int
    enrollment_count: int
    duration_seconds: int
    module_count: int
    lesson_count: int
    has_certificate: bool
    instructors: tuple[InstructorCredit, ...]
    track: TrackInfo | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class CourseListing:
    """A page of public course cards. ``total`` is capped (``total_capped`` says so);
    ``has_next`` is exact. ``languages``: the languages the cards are served in."""

    items: tuple[CourseCardRecord, ...]
    total: int
    total_capped: bool
    has_next: bool
    languages: frozenset[str]


@dataclass(frozen=True, slots=True)
class OutlineLesson:
    """A published lesson in the public outline: content only for preview lessons."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    language: str
    type: LessonType
    position: int
    duration_seconds: int
    is_preview: bool
    is_required: bool
    body: str | None
    video_url: str | None
    #: ``None`` unless it is a preview lesson.
    content_urls: tuple[ContentUrl, ...] | None


@dataclass(frozen=True, slots=True)
class OutlineModule:
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    language: str
    description: str | None
    position: int
    estimated_minutes: int | None
    is_locked: bool
    is_sequential: bool
    duration_seconds: int
    lessons: tuple[OutlineLesson, ...]


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    id: uuid.UUID
    number: int
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class CoursePageRecord:
    """A published course's public page: its card, then the page's own parts and the outline
    of its current version."""

    card: CourseCardRecord
    description: str | None
    trailer_url: str | None
    requirements: tuple[str, ...]
    objectives: tuple[str, ...]
    pricing_tiers: tuple[TierPrice, ...]
    current_version: PublishedVersion | None
    available_languages: tuple[str, ...]
    curriculum: tuple[OutlineModule, ...]

    @property
    def language(self) -> str:
        return self.card.language


@dataclass(frozen=True, slots=True)
class TrackCardRecord:
    """A programming-language track over its course (seed 003 ``ProgrammingLanguage``)."""

    track: TrackInfo
    course_id: uuid.UUID
    course_slug: str
    title: str
    language: str
    module_count: int
    lesson_count: int
    enrollment_count: int


@dataclass(frozen=True, slots=True)
class TrackPageRecord:
    card: TrackCardRecord
    course: CoursePageRecord


# --------------------------------------------------------------------------- taxonomy


@dataclass(frozen=True, slots=True)
class CategoryNodeRecord:
    """An active category in the public tree, its texts in ``language``: ``course_count``
    counts published courses filed directly under it, ``total_course_count`` also those of
    every descendant."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    slug: str
    name: str
    language: str
    description: str | None
    icon: str | None
    color: str | None
    sort_order: int
    is_active: bool
    course_count: int
    total_course_count: int
    children: tuple[CategoryNodeRecord, ...]


@dataclass(frozen=True, slots=True)
class CategoryForest:
    roots: tuple[CategoryNodeRecord, ...]
    #: The languages the tree is served in, comma-separated.
    languages: str


@dataclass(frozen=True, slots=True)
class CategoryDetailRecord:
    node: CategoryNodeRecord
    #: Root first, ending with the parent.
    ancestors: tuple[CategoryLabel, ...]


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    """A category as its managers see it (any state, no counts)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    slug: str
    name: str
    description: str | None
    icon: str | None
    color: str | None
    sort_order: int
    is_active: bool
    #: Languages it has translations in, sorted.
    translations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TagRecord:
    id: uuid.UUID
    slug: str
    label: str
    course_count: int = 0
