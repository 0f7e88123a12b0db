"""Catalog ORM models. Relationships are ``lazy="raise"``: load explicitly.

No foreign keys leave the context: instructors are user ids owned by identity. Curriculum lives
in versions (``catalog_course_versions`` → modules → lessons); everything else lives on the
course row (docs/adr/0006-catalog-versioning.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campus.kernel.clock import utcnow
from campus.kernel.db import (
    Base,
    IdMixin,
    JSONType,
    TimestampMixin,
    register_unmanaged_schema_objects,
)

#: Raw-SQL search objects created by migration 0003 for one dialect only.
SEARCH_FTS_TABLE = "catalog_course_search_fts"  # SQLite FTS5 (+ shadow tables, triggers)
SEARCH_PG_VECTOR = "search_vector_pg"  # PostgreSQL stored tsvector column ...
SEARCH_PG_INDEX = "ix_catalog_course_search_document"  # ... and its GIN index
register_unmanaged_schema_objects(SEARCH_FTS_TABLE, SEARCH_PG_VECTOR, SEARCH_PG_INDEX)

_LANG = 16


class Category(IdMixin, TimestampMixin, Base):
    __tablename__ = "catalog_categories"
    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    # NO ACTION (not RESTRICT): a referenced category cannot be deleted, yet a whole subtree can
    # go in one statement, since the check runs at the end of the statement.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("catalog_categories.id"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    icon: Mapped[str | None] = mapped_column(sa.String(100))
    color: Mapped[str | None] = mapped_column(sa.String(7))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    translations: Mapped[list[CategoryTranslation]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class CategoryTranslation(Base):
    __tablename__ = "catalog_category_translations"

    category_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_categories.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(_LANG), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)


class Tag(IdMixin, Base):
    __tablename__ = "catalog_tags"

    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    label: Mapped[str] = mapped_column(sa.String(50))
    #: Case-insensitive identity of the label (NFKC, trimmed, collapsed, case-folded).
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseTag(Base):
    __tablename__ = "catalog_course_tags"
    __table_args__ = (sa.Index("ix_catalog_course_tags_tag_course", "tag_id", "course_id"),)

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_tags.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)


#: The columns of the public filters, after the sort key and id in every sort index.
SORT_INDEX_FILTERS = ("level", "language", "price_sort", "rating_hundredths", "category_id")


def sort_index(key: str) -> tuple[str, ...]:
    """Columns of the public sort index on ``key``."""
    return ("status", key, "id", *(c for c in SORT_INDEX_FILTERS if c != key))


class Course(IdMixin, TimestampMixin, Base):
    __tablename__ = "catalog_courses"
    __table_args__ = (
        # One index per public sort, led by status (the public catalog is
        # ``status = 'published'``), then the sort key and id (the tie-break), so PostgreSQL
        # can walk them in either direction; then the filterable columns (SORT_INDEX_FILTERS),
        # so a filtered walk tests most rows in the index without visiting the table, and a
        # filtered count is an index-only scan.
        sa.Index("ix_catalog_courses_status_published", *sort_index("published_at")),
        sa.Index("ix_catalog_courses_status_enrollments", *sort_index("enrollment_count")),
        sa.Index("ix_catalog_courses_status_rating", *sort_index("rating_hundredths")),
        sa.Index("ix_catalog_courses_status_price", *sort_index("price_sort")),
        sa.Index("ix_catalog_courses_status_title", *sort_index("title_sort")),
        sa.Index("ix_catalog_courses_status_category", "status", "category_id"),
        sa.Index("ix_catalog_courses_status_language", "status", "language"),
        sa.Index("ix_catalog_courses_status_level", "status", "level"),
        sa.Index("ix_catalog_courses_primary_instructor", "primary_instructor_id"),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_review', 'published', 'archived')", name="status"
        ),
        sa.CheckConstraint("level IN ('beginner', 'intermediate', 'advanced')", name="level"),
        sa.CheckConstraint("price_minor >= 0 AND price_sort >= 0", name="price_not_negative"),
        sa.CheckConstraint("NOT is_free OR price_minor = 0", name="free_costs_nothing"),
        sa.CheckConstraint("enrollment_count >= 0", name="enrollments_not_negative"),
        sa.CheckConstraint(
            "rating_hundredths >= 0 AND rating_hundredths <= 500 AND rating_count >= 0",
            name="rating_range",
        ),
        # Only never-published drafts are deleted, so "published" never needs a deleted_at test.
        sa.CheckConstraint("deleted_at IS NULL OR status = 'draft'", name="only_drafts_deleted"),
    )

    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Case- and accent-folded title: the ``title`` sort key.
    title_sort: Mapped[str] = mapped_column(sa.String(200))
    subtitle: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    category_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("catalog_categories.id"))
    language: Mapped[str] = mapped_column(sa.String(_LANG))
    level: Mapped[str] = mapped_column(sa.String(20))
    thumbnail_url: Mapped[str | None] = mapped_column(sa.String(2048))
    trailer_url: Mapped[str | None] = mapped_column(sa.String(2048))
    requirements: Mapped[list[str]] = mapped_column(JSONType, default=list)
    objectives: Mapped[list[str]] = mapped_column(JSONType, default=list)
    has_certificate: Mapped[bool] = mapped_column(default=False)

    primary_instructor_id: Mapped[uuid.UUID] = mapped_column()

    is_free: Mapped[bool] = mapped_column(default=True)
    price_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    #: Price in thousandths of the major unit, whatever the currency's minor unit: the price
    #: filter and sort key (docs/adr/0008-catalog-browse-search-cache.md).
    price_sort: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    #: The latest published version (what new learners get); no FK: versions point here.
    current_version_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The version being edited or reviewed, if any.
    draft_version_id: Mapped[uuid.UUID | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    archived_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    # Aggregates: the current version's shape, and figures other contexts maintain.
    duration_seconds: Mapped[int] = mapped_column(default=0)
    module_count: Mapped[int] = mapped_column(default=0)
    lesson_count: Mapped[int] = mapped_column(default=0)
    enrollment_count: Mapped[int] = mapped_column(default=0)
    rating_hundredths: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)

    # Programming-language track (seed 003 ``ProgrammingLanguage``).
    track_slug: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    track_name: Mapped[str | None] = mapped_column(sa.String(80))
    track_icon: Mapped[str | None] = mapped_column(sa.String(200))
    track_difficulty: Mapped[str | None] = mapped_column(sa.String(20))

    category: Mapped[Category | None] = relationship(lazy="raise")
    tags: Mapped[list[Tag]] = relationship(
        secondary="catalog_course_tags", lazy="raise", order_by="CourseTag.position", viewonly=True
    )
    instructors: Mapped[list[CourseInstructor]] = relationship(
        lazy="raise", order_by="CourseInstructor.position", viewonly=True
    )
    pricing_tiers: Mapped[list[CoursePricingTier]] = relationship(
        lazy="raise", order_by="CoursePricingTier.position", viewonly=True
    )

    @property
    def instructor_ids(self) -> list[uuid.UUID]:
        """Primary first, then co-instructors (needs ``instructors`` loaded)."""
        return [link.user_id for link in self.instructors]


class CourseInstructor(Base):
    """Everyone who teaches a course; exactly one row per course is the primary instructor."""

    __tablename__ = "catalog_course_instructors"
    __table_args__ = (sa.Index("ix_catalog_course_instructors_user", "user_id", "course_id"),)

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    is_primary: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class CoursePricingTier(IdMixin, Base):
    __tablename__ = "catalog_course_pricing_tiers"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "tier"),
        sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE")
    )
    tier: Mapped[str] = mapped_column(sa.String(20))
    position: Mapped[int] = mapped_column(default=0)
    price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    original_price_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    features: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


class CourseTranslation(Base):
    __tablename__ = "catalog_course_translations"

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(_LANG), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    subtitle: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourseVersion(IdMixin, TimestampMixin, Base):
    __tablename__ = "catalog_course_versions"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'pending_review', 'published')", name="status"),
        sa.CheckConstraint(
            "min_quiz_score IS NULL OR (min_quiz_score >= 0 AND min_quiz_score <= 100)",
            name="min_quiz_score_range",
        ),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    based_on_id: Mapped[uuid.UUID | None] = mapped_column()
    changelog: Mapped[str | None] = mapped_column(sa.Text)
    min_quiz_score: Mapped[int | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by: Mapped[uuid.UUID | None] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column()
    review_notes: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column()
    duration_seconds: Mapped[int] = mapped_column(default=0)
    module_count: Mapped[int] = mapped_column(default=0)
    lesson_count: Mapped[int] = mapped_column(default=0)


class Module(IdMixin, TimestampMixin, Base):
    """A chapter of one version. ``position`` is a gap-free 0..n-1 sequence per version."""

    __tablename__ = "catalog_modules"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position"),
        sa.UniqueConstraint("version_id", "lineage_id"),
    )

    version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_course_versions.id", ondelete="CASCADE")
    )
    lineage_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    estimated_minutes: Mapped[int | None] = mapped_column()
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_sequential: Mapped[bool] = mapped_column(default=False)


class ModuleTranslation(Base):
    __tablename__ = "catalog_module_translations"

    module_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_modules.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(_LANG), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)


class Lesson(IdMixin, TimestampMixin, Base):
    """A lesson of one module. ``position`` is a gap-free 0..n-1 sequence per module."""

    __tablename__ = "catalog_lessons"
    __table_args__ = (
        sa.UniqueConstraint("module_id", "position"),
        sa.UniqueConstraint("version_id", "lineage_id"),
        sa.Index("ix_catalog_lessons_version", "version_id"),
    )

    module_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_modules.id", ondelete="CASCADE")
    )
    #: Denormalised from the module so a version's lessons load in one indexed query.
    version_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_course_versions.id", ondelete="CASCADE")
    )
    lineage_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="published")
    body: Mapped[str | None] = mapped_column(sa.Text)
    content_urls: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    video_url: Mapped[str | None] = mapped_column(sa.String(2048))
    video_duration_seconds: Mapped[int | None] = mapped_column()
    presentation_url: Mapped[str | None] = mapped_column(sa.String(2048))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    quiz_id: Mapped[uuid.UUID | None] = mapped_column()
    assignment_id: Mapped[uuid.UUID | None] = mapped_column()
    is_preview: Mapped[bool] = mapped_column(default=False)
    is_required: Mapped[bool] = mapped_column(default=True)
    estimated_minutes: Mapped[int | None] = mapped_column()


class LessonTranslation(Base):
    __tablename__ = "catalog_lesson_translations"

    lesson_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_lessons.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(_LANG), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)


class CourseSearchDocument(Base):
    """Search text of one published course, folded in Python (NFKD, no marks, lower case).
    SQLite mirrors it into an FTS5 table by trigger; PostgreSQL adds a stored, weighted
    ``tsvector`` column (``search_vector_pg``) with a GIN index (migration 0003)."""

    __tablename__ = "catalog_course_search"

    course_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("catalog_courses.id", ondelete="CASCADE"), primary_key=True
    )
    #: Title and tags: weighted above the body.
    headline: Mapped[str] = mapped_column(sa.Text)
    #: Subtitle and description.
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
