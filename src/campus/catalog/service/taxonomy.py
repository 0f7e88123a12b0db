"""Categories (a tree with translations and course counts) and tags (normalised labels)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import i18n
from campus.catalog.exceptions import (
    CategoryCycle,
    CategoryInUse,
    CategoryNotFound,
    SlugTaken,
    TagExists,
    TagNotFound,
    TranslationNotFound,
)
from campus.catalog.models import Category, CategoryTranslation, Tag
from campus.catalog.policies import CATEGORY_MANAGE
from campus.catalog.repository import courses as courses_repo
from campus.catalog.repository import taxonomy as repo
from campus.catalog.repository.base import violates
from campus.catalog.service import search
from campus.catalog.service.access import mark_public_change
from campus.catalog.service.inputs import CategoryTexts, NewCategory, SentFields, TagLabelIn
from campus.catalog.service.records import (
    CategoryDetailRecord,
    CategoryForest,
    CategoryLabel,
    CategoryNodeRecord,
    CategoryRecord,
    TagRecord,
)
from campus.catalog.text import label_key, normalize_label, slugify, with_suffix
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id, parse_id
from campus.kernel.pagination import PageParams

# --------------------------------------------------------------------------- public reads


def _localized(
    category: Category,
    translations: dict[uuid.UUID, list[CategoryTranslation]],
    prefs: tuple[str, ...],
) -> tuple[str, str, str | None]:
    own = translations.get(category.id, [])
    default = "en"
    language = i18n.choose([t.language for t in own], default, prefs)
    chosen = next((t for t in own if t.language == language), None)
    if chosen is None:
        return default, category.name, category.description
    return language, chosen.name, chosen.description or category.description


async def _forest(
    session: AsyncSession, prefs: tuple[str, ...]
) -> tuple[dict[uuid.UUID, CategoryNodeRecord], list[Category]]:
    """Every active category as a node with counts (three queries whatever the tree size)."""
    categories = await repo.all_categories(session)
    counts = await repo.published_counts_by_category(session)
    tr_rows = (
        await repo.category_translations(
            session, i18n.language_filter(CategoryTranslation.language, prefs)
        )
        if prefs
        else []
    )
    translations: dict[uuid.UUID, list[CategoryTranslation]] = defaultdict(list)
    for row in tr_rows:
        translations[row.category_id].append(row)
    children: dict[uuid.UUID | None, list[Category]] = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)

    nodes: dict[uuid.UUID, CategoryNodeRecord] = {}

    def build(category: Category, trail: frozenset[uuid.UUID]) -> CategoryNodeRecord:
        kids = tuple(
            build(child, trail | {child.id})
            for child in children[category.id]
            if child.is_active and child.id not in trail
        )
        direct = counts.get(category.id, 0)
        language, name, description = _localized(category, translations, prefs)
        node = CategoryNodeRecord(
            id=category.id,
            parent_id=category.parent_id,
            slug=category.slug,
            name=name,
            language=language,
            description=description,
            icon=category.icon,
            color=category.color,
            sort_order=category.sort_order,
            is_active=category.is_active,
            course_count=direct,
            total_course_count=direct + sum(k.total_course_count for k in kids),
            children=kids,
        )
        nodes[category.id] = node
        return node

    for root in children[None]:
        if root.is_active:
            build(root, frozenset({root.id}))
    return nodes, categories


async def category_tree(session: AsyncSession, prefs: tuple[str, ...]) -> CategoryForest:
    nodes, categories = await _forest(session, prefs)
    roots = tuple(nodes[c.id] for c in categories if c.parent_id is None and c.id in nodes)
    languages = {n.language for n in nodes.values()} or {"en"}
    return CategoryForest(roots=roots, languages=", ".join(sorted(languages)))


async def category_detail(
    session: AsyncSession, ref: str, prefs: tuple[str, ...]
) -> CategoryDetailRecord:
    nodes, categories = await _forest(session, prefs)
    by_id = {c.id: c for c in categories}
    category_id = parse_id(ref)
    if category_id is None:
        category_id = next((c.id for c in categories if c.slug == ref), None)
    node = nodes.get(category_id) if category_id else None
    if node is None:
        raise CategoryNotFound()
    ancestors: list[CategoryLabel] = []
    parent_id = node.parent_id
    while parent_id is not None and parent_id in by_id and len(ancestors) < 100:
        parent = nodes.get(parent_id)
        if parent is None:
            break
        ancestors.insert(0, CategoryLabel(id=parent.id, slug=parent.slug, name=parent.name))
        parent_id = parent.parent_id
    return CategoryDetailRecord(node=node, ancestors=tuple(ancestors))


async def resolve_category(session: AsyncSession, ref: str) -> uuid.UUID:
    """A category filter value (id or slug) → id; unknown ones are a 422."""
    category_id = parse_id(ref)
    if category_id is not None:
        if await repo.category_exists(session, category_id):
            return category_id
    else:
        found = await repo.get_category_by_slug(session, ref[:120])
        if found is not None:
            return found.id
    raise field_error("category", "Unknown category.", code="unknown_category")


# --------------------------------------------------------------------------- management


def _category_record(category: Category) -> CategoryRecord:
    return CategoryRecord(
        id=category.id,
        parent_id=category.parent_id,
        slug=category.slug,
        name=category.name,
        description=category.description,
        icon=category.icon,
        color=category.color.upper() if category.color else None,
        sort_order=category.sort_order,
        is_active=category.is_active,
        translations=tuple(sorted(t.language for t in category.translations)),
    )


async def _checked_parent(
    session: AsyncSession, category_id: uuid.UUID | None, parent_id: uuid.UUID | None
) -> None:
    if parent_id is None:
        return
    if not await repo.category_exists(session, parent_id):
        raise field_error("parentId", "Unknown parent category.", code="unknown_category")
    if category_id is not None:
        await repo.lock_category_tree(session)
        if category_id in await repo.ancestor_ids(session, parent_id):
            raise CategoryCycle(
                details={
                    "fields": [
                        {
                            "field": "parentId",
                            "message": "A category cannot be its own ancestor.",
                            "code": "category_cycle",
                        }
                    ]
                }
            )


async def create_category(
    session: AsyncSession, principal: Principal, data: NewCategory
) -> CategoryRecord:
    principal.require(CATEGORY_MANAGE)
    await _checked_parent(session, None, data.parent_id)
    category_id = new_id()
    now = utcnow()
    exc = await repo.try_insert_category(
        session,
        {
            "id": category_id,
            "parent_id": data.parent_id,
            "slug": data.slug or slugify(data.name, fallback="category"),
            "name": data.name,
            "description": data.description,
            "icon": data.icon,
            "color": data.color.upper() if data.color else None,
            "sort_order": data.sort_order,
            "is_active": data.is_active,
            "created_at": now,
            "updated_at": now,
        },
    )
    if exc is not None:
        if violates(exc, "catalog_categories", ["slug"]):
            raise SlugTaken()
        raise exc
    mark_public_change(session)
    return await get_category_for_manager(session, principal, category_id)


async def get_category_for_manager(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> CategoryRecord:
    principal.require(CATEGORY_MANAGE)
    category = await repo.get_category(session, category_id)
    if category is None:
        raise CategoryNotFound()
    return _category_record(category)


async def update_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID, data: SentFields
) -> CategoryRecord:
    principal.require(CATEGORY_MANAGE)
    if await repo.get_category(session, category_id) is None:
        raise CategoryNotFound()
    values = {key: getattr(data, key) for key in data.model_fields_set}
    for key, wire in (
        ("name", "name"),
        ("slug", "slug"),
        ("sort_order", "sortOrder"),
        ("is_active", "isActive"),
    ):
        if key in values and values[key] is None:
            raise field_error(wire, "This field cannot be null.")
    if "parent_id" in values:
        await _checked_parent(session, category_id, values["parent_id"])
    if values.get("color"):
        values["color"] = values["color"].upper()
    if values:
        exc = await repo.try_update_category(session, category_id, values)
        if exc is not None:
            if violates(exc, "catalog_categories", ["slug"]):
                raise SlugTaken()
            raise exc
        mark_public_change(session)
    return await get_category_for_manager(session, principal, category_id)


async def delete_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> None:
    principal.require(CATEGORY_MANAGE)
    if await repo.get_category(session, category_id) is None:
        raise CategoryNotFound()
    if await repo.category_in_use(session, category_id):
        raise CategoryInUse()
    exc = await repo.try_delete_category(session, category_id)
    if exc is not None:  # a subcategory or course arrived meanwhile; the foreign key holds
        raise CategoryInUse()
    mark_public_change(session)


async def put_category_translation(
    session: AsyncSession,
    principal: Principal,
    category_id: uuid.UUID,
    language: str,
    data: CategoryTexts,
) -> CategoryRecord:
    principal.require(CATEGORY_MANAGE)
    if await repo.get_category(session, category_id) is None:
        raise CategoryNotFound()
    await repo.upsert_category_translation(
        session, category_id, language, {"name": data.name, "description": data.description}
    )
    mark_public_change(session)
    return await get_category_for_manager(session, principal, category_id)


async def delete_category_translation(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID, language: str
) -> None:
    principal.require(CATEGORY_MANAGE)
    if await repo.get_category(session, category_id) is None:
        raise CategoryNotFound()
    if not await repo.delete_category_translation(session, category_id, language):
        raise TranslationNotFound()
    mark_public_change(session)


# --------------------------------------------------------------------------- tags


def _tag_record(tag: Tag, count: int = 0) -> TagRecord:
    return TagRecord(id=tag.id, slug=tag.slug, label=tag.label, course_count=count)


async def ensure_tags(session: AsyncSession, labels: Sequence[str]) -> list[uuid.UUID]:
    """Tag ids for ``labels`` (in order, duplicates dropped), creating missing tags with an
    insert that ignores conflicts: two writers adding the same new tag both get the one row."""
    wanted: dict[str, str] = {}
    for raw in labels:
        label = normalize_label(raw)
        if label:
            wanted.setdefault(label_key(label), label)
    if not wanted:
        return []
    found = await repo.tags_by_keys(session, list(wanted))
    missing = [key for key in wanted if key not in found]
    if missing:
        now = utcnow()
        await repo.insert_tags_ignoring_conflicts(
            session,
            [
                {
                    "id": new_id(),
                    "key": key,
                    "label": wanted[key],
                    "slug": slugify(wanted[key], max_length=80, fallback="tag"),
                    "created_at": now,
                }
                for key in missing
            ],
        )
        found = await repo.tags_by_keys(session, list(wanted))
        for key in [k for k in wanted if k not in found]:  # the slug was taken by another label
            found[key] = await _insert_tag_with_free_slug(session, wanted[key])
        mark_public_change(session)  # the public tag list grew
    return [found[key].id for key in wanted]


async def _insert_tag_with_free_slug(session: AsyncSession, label: str) -> Tag:
    key = label_key(label)
    base = slugify(label, max_length=80, fallback="tag")
    for _ in range(20):
        taken = await repo.tag_slugs_like(session, base)
        n = 2
        while with_suffix(base, n, max_length=80) in taken:
            n += 1
        tag_id = new_id()
        exc = await repo.try_insert_tag(
            session,
            {
                "id": tag_id,
                "key": key,
                "label": label,
                "slug": with_suffix(base, n, max_length=80),
                "created_at": utcnow(),
            },
        )
        if exc is None or violates(exc, "catalog_tags", ["key"]):
            existing = await repo.tags_by_keys(session, [key])
            if key in existing:
                return existing[key]
    raise TagExists()


async def list_tags(
    session: AsyncSession, q: str | None, page: PageParams
) -> tuple[list[TagRecord], int]:
    """A page of tags (whose label starts with ``q``) with their published-course counts, and
    how many tags match."""
    prefix = label_key(q) if q else None
    rows, total = await repo.tags_page(session, prefix=prefix, offset=page.offset, limit=page.limit)
    return [_tag_record(tag, n) for tag, n in rows], total


async def create_tag(session: AsyncSession, principal: Principal, data: TagLabelIn) -> TagRecord:
    principal.require(CATEGORY_MANAGE)
    label = normalize_label(data.label)
    if not label:
        raise field_error("label", "The label is empty.")
    tag = await _insert_tag(session, label)
    mark_public_change(session)
    return _tag_record(tag)


async def _insert_tag(session: AsyncSession, label: str) -> Tag:
    key = label_key(label)
    base = slugify(label, max_length=80, fallback="tag")
    candidate = base
    for attempt in range(20):
        exc = await repo.try_insert_tag(
            session,
            {"id": new_id(), "key": key, "label": label, "slug": candidate, "created_at": utcnow()},
        )
        if exc is None:
            return (await repo.tags_by_keys(session, [key]))[key]
        if violates(exc, "catalog_tags", ["key"]):
            raise TagExists()
        taken = await repo.tag_slugs_like(session, base)
        n = attempt + 2
        while with_suffix(base, n, max_length=80) in taken:
            n += 1
        candidate = with_suffix(base, n, max_length=80)
    raise TagExists()


async def update_tag(
    session: AsyncSession, principal: Principal, tag_id: uuid.UUID, label: str
) -> TagRecord:
    principal.require(CATEGORY_MANAGE)
    tag = await repo.get_tag(session, tag_id)
    if tag is None:
        raise TagNotFound()
    label = normalize_label(label)
    if not label:
        raise field_error("label", "The label is empty.")
    exc = await repo.try_update_tag(session, tag_id, {"label": label, "key": label_key(label)})
    if exc is not None:
        if violates(exc, "catalog_tags", ["key"]):
            raise TagExists()
        raise exc
    await _reindex_tagged(session, tag_id)
    tag = await repo.get_tag(session, tag_id)
    assert tag is not None
    return _tag_record(tag)


async def delete_tag(session: AsyncSession, principal: Principal, tag_id: uuid.UUID) -> None:
    principal.require(CATEGORY_MANAGE)
    affected = await courses_repo.published_course_ids_with_tag(session, tag_id)
    if not await repo.delete_tag(session, tag_id):
        raise TagNotFound()
    for course_id in affected:
        course = await courses_repo.get_course(session, course_id)
        if course is not None:
            await search.reindex(session, course)
    mark_public_change(session)


async def _reindex_tagged(session: AsyncSession, tag_id: uuid.UUID) -> None:
    for course_id in await courses_repo.published_course_ids_with_tag(session, tag_id):
        course = await courses_repo.get_course(session, course_id)
        if course is not None:
            await search.reindex(session, course)
    mark_public_change(session)
