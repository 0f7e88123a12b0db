"""What the services read of a request: the request models in ``schemas`` (already validated
field by field) have these shapes, and so may any other caller's objects.

``model_fields_set`` names the fields a partial update sent (``null`` included), in Python
names; a field that was not sent keeps its value.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from campus.catalog.data import CourseLevel, PricingTier
from campus.kernel.money import MoneyIn


class SentFields(Protocol):
    """A partial update: the services read the fields it names with ``getattr``."""

    @property
    def model_fields_set(self) -> set[str]: ...


# --------------------------------------------------------------------------- courses


class TrackFields(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def icon(self) -> str | None: ...
    @property
    def difficulty(self) -> CourseLevel: ...


class PricingTierFields(Protocol):
    @property
    def tier(self) -> PricingTier: ...
    @property
    def price(self) -> MoneyIn: ...
    @property
    def original_price(self) -> MoneyIn | None: ...
    @property
    def features(self) -> Sequence[str]: ...
    @property
    def is_active(self) -> bool: ...


class CourseFields(Protocol):
    """The optional fields of a course (``schemas.courses.CourseCreate``/``CourseUpdate``)."""

    @property
    def subtitle(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def category_id(self) -> uuid.UUID | None: ...
    @property
    def tags(self) -> Sequence[str] | None: ...
    @property
    def thumbnail_url(self) -> str | None: ...
    @property
    def trailer_url(self) -> str | None: ...
    @property
    def requirements(self) -> Sequence[str] | None: ...
    @property
    def objectives(self) -> Sequence[str] | None: ...
    @property
    def has_certificate(self) -> bool | None: ...
    @property
    def is_free(self) -> bool | None: ...
    @property
    def price(self) -> MoneyIn | None: ...
    @property
    def pricing_tiers(self) -> Sequence[PricingTierFields] | None: ...
    @property
    def track(self) -> TrackFields | None: ...


class NewCourse(CourseFields, Protocol):
    @property
    def title(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def level(self) -> CourseLevel: ...


class CourseChanges(CourseFields, SentFields, Protocol):
    @property
    def title(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def level(self) -> CourseLevel | None: ...
    @property
    def slug(self) -> str | None: ...


class CoInstructors(Protocol):
    @property
    def co_instructor_ids(self) -> Sequence[uuid.UUID]: ...


class CourseTexts(Protocol):
    """A course's texts in another language."""

    @property
    def title(self) -> str: ...
    @property
    def subtitle(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...


# --------------------------------------------------------------------------- review


class Submission(SentFields, Protocol):
    @property
    def changelog(self) -> str | None: ...
    @property
    def min_quiz_score_for_certificate(self) -> int | None: ...


class Approval(Protocol):
    @property
    def notes(self) -> str | None: ...


# --------------------------------------------------------------------------- curriculum


class NewModule(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def estimated_minutes(self) -> int | None: ...
    @property
    def is_locked(self) -> bool: ...
    @property
    def is_sequential(self) -> bool: ...


class ModuleTexts(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str | None: ...


class LessonTexts(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str | None: ...


# --------------------------------------------------------------------------- taxonomy


class NewCategory(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def slug(self) -> str | None: ...
    @property
    def parent_id(self) -> uuid.UUID | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def icon(self) -> str | None: ...
    @property
    def color(self) -> str | None: ...
    @property
    def sort_order(self) -> int: ...
    @property
    def is_active(self) -> bool: ...


class CategoryTexts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...


class TagLabelIn(Protocol):
    @property
    def label(self) -> str: ...
