"""Category and tag wire models (responses built from the service's records with
``XOut.of(record)``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from campus.catalog.schemas.fields import LongText, Slug
from campus.catalog.service.records import (
    CategoryForest,
    CategoryLabel,
    CategoryNodeRecord,
    CategoryRecord,
    TagRecord,
)
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

    @classmethod
    def of(cls, node: CategoryNodeRecord) -> CategoryNode:
        return cls(**_node_fields(node))


def _node_fields(node: CategoryNodeRecord) -> dict[str, Any]:
    return {
        "id": node.id,
        "parent_id": node.parent_id,
        "slug": node.slug,
        "name": node.name,
        "language": node.language,
        "description": node.description,
        "icon": node.icon,
        "color": node.color,
        "sort_order": node.sort_order,
        "is_active": node.is_active,
        "course_count": node.course_count,
        "total_course_count": node.total_course_count,
        "children": [CategoryNode.of(child) for child in node.children],
    }


class CategoryTree(ApiModel):
    items: list[CategoryNode]

    @classmethod
    def of(cls, forest: CategoryForest) -> CategoryTree:
        return cls(items=[CategoryNode.of(root) for root in forest.roots])


class CategoryDetail(CategoryNode):
    #: Root first, ending with the parent.
    ancestors: list[CategoryRefOut]

    @classmethod
    def of(
        cls, node: CategoryNodeRecord, ancestors: Sequence[CategoryLabel] = ()
    ) -> CategoryDetail:
        return cls(**_node_fields(node), ancestors=[CategoryRefOut.of(a) for a in ancestors])


class CategoryRefOut(ApiModel):
    id: uuid.UUID
    slug: str
    name: str

    @classmethod
    def of(cls, label: CategoryLabel) -> CategoryRefOut:
        return cls(id=label.id, slug=label.slug, name=label.name)


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

    @classmethod
    def of(cls, category: CategoryRecord) -> CategoryOut:
        return cls(
            id=category.id,
            parent_id=category.parent_id,
            slug=category.slug,
            name=category.name,
            description=category.description,
            icon=category.icon,
            color=category.color,
            sort_order=category.sort_order,
            is_active=category.is_active,
            translations=list(category.translations),
        )


class TagCreate(InputModel):
    label: str = Field(min_length=1, max_length=50)


class TagUpdate(InputModel):
    label: str = Field(min_length=1, max_length=50)


class TagOut(ApiModel):
    id: uuid.UUID
    slug: str
    label: str
    course_count: int = 0

    @classmethod
    def of(cls, tag: TagRecord) -> TagOut:
        return cls(id=tag.id, slug=tag.slug, label=tag.label, course_count=tag.course_count)


CategoryDetail.model_rebuild()
