"""Course wire models: authoring inputs, public cards and details, versions (responses built
from the service's records with ``XOut.of(record)``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator, model_validator

from campus.catalog.data import CourseLevel, CourseStatus, PricingTier, VersionStatus
from campus.catalog.schemas.fields import (
    LanguageCode,
    ListItem,
    LongText,
    PriceIn,
    ShortText,
    Slug,
    Title,
)
from campus.catalog.schemas.structure import AuthoringModuleOut, ModuleOutlineOut
from campus.catalog.service.records import (
    AuthoringCardRecord,
    AuthoringCourseRecord,
    CategoryLabel,
    CourseTranslationRecord,
    InstructorCredit,
    ModuleRecord,
    TagLabel,
    TierPrice,
    TrackCardRecord,
    TrackInfo,
    VersionRecord,
)
from campus.catalog.text import is_slug
from campus.kernel.money import Money
from campus.kernel.pagination import Page
from campus.kernel.schemas import ApiModel, InputModel, WebUrl

MAX_TAGS = 20
MAX_LIST_ITEMS = 30


# --------------------------------------------------------------------------- card parts


class MoneyWire(ApiModel):
    amount: str = Field(examples=["19.99"])
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, money: Money) -> MoneyWire:
        return cls(amount=str(money.amount), currency=money.currency)

    @classmethod
    def of_optional(cls, money: Money | None) -> MoneyWire | None:
        return None if money is None else cls.of(money)


class CourseInstructorOut(ApiModel):
    user_id: uuid.UUID
    display_name: str | None = None
    headline: str | None = None
    avatar_url: str | None = None
    is_primary: bool

    @classmethod
    def of(cls, credit: InstructorCredit) -> CourseInstructorOut:
        return cls(
            user_id=credit.user_id,
            display_name=credit.display_name,
            headline=credit.headline,
            avatar_url=credit.avatar_url,
            is_primary=credit.is_primary,
        )


class CategoryRef(ApiModel):
    id: uuid.UUID
    slug: str
    name: str

    @classmethod
    def of(cls, label: CategoryLabel) -> CategoryRef:
        return cls(id=label.id, slug=label.slug, name=label.name)


class TagRef(ApiModel):
    slug: str
    label: str

    @classmethod
    def of(cls, tag: TagLabel) -> TagRef:
        return cls(slug=tag.slug, label=tag.label)


class TrackOut(ApiModel):
    slug: str
    name: str
    icon: str | None = None
    difficulty: str | None = None

    @classmethod
    def of(cls, track: TrackInfo) -> TrackOut:
        return cls(slug=track.slug, name=track.name, icon=track.icon, difficulty=track.difficulty)


class TrackIn(InputModel):
    """Marks the course as the track of a programming language (seed 003)."""

    slug: Slug = Field(max_length=60, examples=["python"])
    name: str = Field(min_length=1, max_length=80, examples=["Python"])
    icon: str | None = Field(default=None, max_length=200)
    difficulty: CourseLevel = CourseLevel.BEGINNER


class PricingTierIn(InputModel):
    tier: PricingTier
    price: PriceIn
    original_price: PriceIn | None = None
    features: list[ListItem] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    is_active: bool = True

    @model_validator(mode="after")
    def _original_not_below_price(self) -> PricingTierIn:
        if self.original_price is not None:
            if self.original_price.currency != self.price.currency:
                raise ValueError("originalPrice must be in the same currency as price")
            if self.original_price.amount < self.price.amount:
                raise ValueError("originalPrice cannot be lower than price")
        return self


def _unique_tiers(tiers: list[PricingTierIn] | None) -> list[PricingTierIn] | None:
    if tiers is not None and len({t.tier for t in tiers}) != len(tiers):
        raise ValueError("each tier may appear once")
    return tiers


class _CourseFields(InputModel):
    subtitle: ShortText | None = None
    description: LongText | None = None
    category_id: uuid.UUID | None = None
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    thumbnail_url: WebUrl | None = None
    trailer_url: WebUrl | None = None
    requirements: list[ListItem] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    objectives: list[ListItem] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    has_certificate: bool | None = None
    is_free: bool | None = None
    price: PriceIn | None = None
    pricing_tiers: list[PricingTierIn] | None = Field(default=None, max_length=3)
    track: TrackIn | None = None

    @field_validator("tags")
    @classmethod
    def _tag_labels(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for label in value:
                if not 1 <= len(label.strip()) <= 50:
                    raise ValueError("each tag has 1 to 50 characters")
        return value

    @field_validator("pricing_tiers")
    @classmethod
    def _tiers(cls, value: list[PricingTierIn] | None) -> list[PricingTierIn] | None:
        return _unique_tiers(value)


class CourseCreate(_CourseFields):
    title: Title
    language: LanguageCode = "en"
    level: CourseLevel = CourseLevel.BEGINNER


class CourseUpdate(_CourseFields):
    """Only the fields sent change; ``null`` clears an optional field. Status, counters,
    ownership and ratings are not fields here (they have their own routes or owners)."""

    title: Title | None = None
    language: LanguageCode | None = None
    level: CourseLevel | None = None
    #: Only before the first publication; published slugs are stable.
    slug: Slug | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not is_slug(value):
            raise ValueError("invalid slug")
        return value


class SubmitRequest(InputModel):
    changelog: str | None = Field(default=None, max_length=5000)
    min_quiz_score_for_certificate: int | None = Field(default=None, ge=0, le=100)


class ApproveRequest(InputModel):
    notes: str | None = Field(default=None, max_length=5000)


class SendBackRequest(InputModel):
    notes: str = Field(min_length=1, max_length=5000)


class InstructorsUpdate(InputModel):
    co_instructor_ids: list[uuid.UUID] = Field(max_length=10)


class TransferOwnership(InputModel):
    new_primary_instructor_id: uuid.UUID
    keep_previous_as_co_instructor: bool = True


class CourseTranslationIn(InputModel):
    title: Title
    subtitle: ShortText | None = None
    description: LongText | None = None


class PricingTierOut(ApiModel):
    tier: PricingTier
    price: MoneyWire
    original_price: MoneyWire | None = None
    features: list[str]
    is_active: bool

    @classmethod
    def of(cls, tier: TierPrice) -> PricingTierOut:
        return cls(
            tier=tier.tier,
            price=MoneyWire.of(tier.price),
            original_price=MoneyWire.of_optional(tier.original_price),
            features=list(tier.features),
            is_active=tier.is_active,
        )


class CourseCard(ApiModel):
    """A course in lists. ``language`` is the language its texts are served in."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str | None = None
    language: str
    default_language: str
    level: CourseLevel
    category: CategoryRef | None = None
    tags: list[TagRef]
    thumbnail_url: str | None = None
    is_free: bool
    price: MoneyWire | None = None
    rating_average: Decimal = Field(examples=["4.50"])
    rating_count: int
    enrollment_count: int
    duration_seconds: int
    module_count: int
    lesson_count: int
    has_certificate: bool
    instructors: list[CourseInstructorOut]
    track: TrackOut | None = None
    published_at: datetime | None = None


class CoursePage(Page[CourseCard]):
    """The list envelope of public course lists. ``total`` counts matches up to five pages past
    the requested one; when there are more, it is that figure and ``totalCapped`` is true (show
    "120+"). ``hasNext`` is always exact (docs/adr/0021-capped-list-totals.md)."""

    total_capped: bool = Field(
        description="True when there are more matches than `total` (the count stopped there)"
    )


class VersionRef(ApiModel):
    id: uuid.UUID
    number: int
    published_at: datetime | None = None


class CourseDetail(CourseCard):
    """Public course page: the outline of the current version; bodies of preview lessons only."""

    description: str | None = None
    trailer_url: str | None = None
    requirements: list[str]
    objectives: list[str]
    pricing_tiers: list[PricingTierOut]
    current_version: VersionRef | None = None
    available_languages: list[str]
    curriculum: list[ModuleOutlineOut]


class VersionSummaryOut(ApiModel):
    id: uuid.UUID
    number: int
    status: VersionStatus
    is_current: bool
    changelog: str | None = None
    min_quiz_score_for_certificate: int | None = None
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    review_notes: str | None = None
    published_at: datetime | None = None
    duration_seconds: int
    module_count: int
    lesson_count: int
    created_at: datetime

    @classmethod
    def of(cls, version: VersionRecord) -> VersionSummaryOut:
        return cls(**_version_fields(version))


def _version_fields(version: VersionRecord) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "status": version.status,
        "is_current": version.is_current,
        "changelog": version.changelog,
        "min_quiz_score_for_certificate": version.min_quiz_score_for_certificate,
        "submitted_at": version.submitted_at,
        "reviewed_at": version.reviewed_at,
        "review_notes": version.review_notes,
        "published_at": version.published_at,
        "duration_seconds": version.duration_seconds,
        "module_count": version.module_count,
        "lesson_count": version.lesson_count,
        "created_at": version.created_at,
    }


class VersionDetailOut(VersionSummaryOut):
    modules: list[AuthoringModuleOut]

    @classmethod
    def of(cls, version: VersionRecord, modules: Sequence[ModuleRecord] = ()) -> VersionDetailOut:
        return cls(**_version_fields(version), modules=[AuthoringModuleOut.of(m) for m in modules])


class CourseTranslationOut(ApiModel):
    language: str
    title: str
    subtitle: str | None = None
    description: str | None = None

    @classmethod
    def of(cls, translation: CourseTranslationRecord) -> CourseTranslationOut:
        return cls(
            language=translation.language,
            title=translation.title,
            subtitle=translation.subtitle,
            description=translation.description,
        )


class AuthoringCourse(ApiModel):
    """Everything an author sees: any status, the working curriculum with full lesson content."""

    id: uuid.UUID
    slug: str
    title: str
    subtitle: str | None = None
    description: str | None = None
    status: CourseStatus
    language: str
    level: CourseLevel
    category: CategoryRef | None = None
    tags: list[TagRef]
    thumbnail_url: str | None = None
    trailer_url: str | None = None
    requirements: list[str]
    objectives: list[str]
    has_certificate: bool
    is_free: bool
    price: MoneyWire | None = None
    pricing_tiers: list[PricingTierOut]
    track: TrackOut | None = None
    primary_instructor_id: uuid.UUID
    instructors: list[CourseInstructorOut]
    enrollment_count: int
    rating_average: Decimal
    rating_count: int
    duration_seconds: int
    published_at: datetime | None = None
    archived_at: datetime | None = None
    current_version: VersionSummaryOut | None = None
    #: The version being edited or reviewed (``None`` when the curriculum is as published).
    draft_version: VersionSummaryOut | None = None
    #: Modules of the draft version when there is one, else of the current version.
    curriculum: list[AuthoringModuleOut]
    translations: list[CourseTranslationOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, course: AuthoringCourseRecord) -> AuthoringCourse:
        return cls(
            id=course.id,
            slug=course.slug,
            title=course.title,
            subtitle=course.subtitle,
            description=course.description,
            status=course.status,
            language=course.language,
            level=course.level,
            category=None if course.category is None else CategoryRef.of(course.category),
            tags=[TagRef.of(t) for t in course.tags],
            thumbnail_url=course.thumbnail_url,
            trailer_url=course.trailer_url,
            requirements=list(course.requirements),
            objectives=list(course.objectives),
            has_certificate=course.has_certificate,
            is_free=course.is_free,
            price=MoneyWire.of_optional(course.price),
            pricing_tiers=[PricingTierOut.of(t) for t in course.pricing_tiers],
            track=None if course.track is None else TrackOut.of(course.track),
            primary_instructor_id=course.primary_instructor_id,
            instructors=[CourseInstructorOut.of(i) for i in course.instructors],
            enrollment_count=course.enrollment_count,
            rating_average=course.rating_average,
            rating_count=course.rating_count,
            duration_seconds=course.duration_seconds,
            published_at=course.published_at,
            archived_at=course.archived_at,
            current_version=None
            if course.current_version is None
            else VersionSummaryOut.of(course.current_version),
            draft_version=None
            if course.draft_version is None
            else VersionSummaryOut.of(course.draft_version),
            curriculum=[AuthoringModuleOut.of(m) for m in course.curriculum],
            translations=[CourseTranslationOut.of(t) for t in course.translations],
            created_at=course.created_at,
            updated_at=course.updated_at,
        )


class AuthoringCourseCard(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    status: CourseStatus
    language: str
    level: CourseLevel
    primary_instructor_id: uuid.UUID
    is_primary_instructor: bool
    draft_version_status: VersionStatus | None = None
    review_notes: str | None = None
    enrollment_count: int
    published_at: datetime | None = None
    updated_at: datetime

    @classmethod
    def of(cls, card: AuthoringCardRecord) -> AuthoringCourseCard:
        return cls(
            id=card.id,
            slug=card.slug,
            title=card.title,
            status=card.status,
            language=card.language,
            level=card.level,
            primary_instructor_id=card.primary_instructor_id,
            is_primary_instructor=card.is_primary_instructor,
            draft_version_status=card.draft_version_status,
            review_notes=card.review_notes,
            enrollment_count=card.enrollment_count,
            published_at=card.published_at,
            updated_at=card.updated_at,
        )


class TrackCard(ApiModel):
    """A programming-language track (seed 003 ``ProgrammingLanguage``) over its course."""

    slug: str
    name: str
    icon: str | None = None
    difficulty: str | None = None
    course_id: uuid.UUID
    course_slug: str
    title: str
    language: str
    module_count: int
    lesson_count: int
    enrollment_count: int

    @classmethod
    def of(cls, card: TrackCardRecord) -> TrackCard:
        return cls(
            slug=card.track.slug,
            name=card.track.name,
            icon=card.track.icon,
            difficulty=card.track.difficulty,
            course_id=card.course_id,
            course_slug=card.course_slug,
            title=card.title,
            language=card.language,
            module_count=card.module_count,
            lesson_count=card.lesson_count,
            enrollment_count=card.enrollment_count,
        )


class TrackDetail(TrackCard):
    course: CourseDetail
