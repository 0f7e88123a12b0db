"""Category and tag wire models."""

from __future__ import annotations

import uuid

from pydantic import Field

from campus.catalog.schemas.fields import LongText, Slug
from campus.kernel.schemas import ApiModel, InputModel

_COLOR = r"^#[0-9A-Fa-f]{6}$"


class CategoryCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    slug: Slug | None = None
    parent_id: uuid.UUID | None = None
    description: LongText | None = None
    icon: str | None = Field(default=None, max_length=100)
    color: str | None = Field(default=None, pattern=_COLOR, examples=["#3366FF"])
    sort_order: int = Field(default=0, ge=-10_000, le=10_000)
    is_active: bool = True


class CategoryUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    slug: Slug | None = None
    parent_id: uuid.UUID | None = None
    description: LongText | None = None
    icon: str | None = Field(default=None, max_length=100)
    color: str | None = Field(default=None, pattern=_COLOR)
    sort_order: int | None = Field(default=None, ge=-10_000, le=10_000)
    is_active: bool | None = None


class CategoryTranslationIn(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: LongText | None = None


class CategoryNode(ApiModel):
    """A category with its published-course counts: ``courseCount`` counts courses filed
    directly under it, ``totalCourseCount`` also those of every descendant."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    slug: str
    name: str
    language: str
    description: str | None = None
    icon: str | None = None
    color: str | None = None
    sort_order: int
    is_active: bool
    course_count: int
    total_course_count: int
    children: list[CategoryNode]


class CategoryTree(ApiModel):
    items: list[CategoryNode]


class CategoryDetail(CategoryNode):
    #: Root first, ending with the parent.
    ancestors: list[CategoryRefOut]


class CategoryRefOut(ApiModel):
    id: uuid.UUID
    slug: str
    name: str


class CategoryOut(ApiModel):
    """A category as its managers see it (any state, no counts)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    slug: str
    name: str
    description: str | None = None
    icon: str | None = None
    color: str | None = None
    sort_order: int
    is_active: bool
    translations: list[str]


class TagCreate(InputModel):
    label: str = Field(min_length=1, max_length=50)


class TagUpdate(InputModel):
    label: str = Field(min_length=1, max_length=50)


class TagOut(ApiModel):
    id: uuid.UUID
    slug: str
    label: str
    course_count: int = 0


CategoryDetail.model_rebuild()
