"""Category and tag management (``category:manage``)."""

from __future__ import annotations

import uuid

from campus.catalog.endpoints.dependencies import LanguagePath, write_router
from campus.catalog.endpoints.errors import WRITE_ERRORS, errors
from campus.catalog.httpcache import CatalogNoContent
from campus.catalog.schemas.taxonomy import (
    CategoryCreate,
    CategoryOut,
    CategoryTranslationIn,
    CategoryUpdate,
    TagCreate,
    TagOut,
    TagUpdate,
)
from campus.catalog.service import taxonomy
from campus.kernel.auth import CurrentPrincipal, DbSession

router = write_router(tags=["categories"])
DELETE_ERRORS = errors(401, 403, 404, 409, 422)


@router.post(
    "/categories",
    status_code=201,
    summary="Create a category",
    response_model=CategoryOut,
    responses=WRITE_ERRORS,
)
async def create_category(
    body: CategoryCreate, session: DbSession, principal: CurrentPrincipal
) -> CategoryOut:
    return CategoryOut.of(await taxonomy.create_category(session, principal, body))


@router.patch(
    "/categories/{category_id}",
    summary="Edit or move a category (it cannot move under its own subtree)",
    response_model=CategoryOut,
    responses=WRITE_ERRORS,
)
async def update_category(
    category_id: uuid.UUID, body: CategoryUpdate, session: DbSession, principal: CurrentPrincipal
) -> CategoryOut:
    return CategoryOut.of(await taxonomy.update_category(session, principal, category_id, body))


@router.delete(
    "/categories/{category_id}",
    status_code=204,
    summary="Delete a category without subcategories or courses",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_category(
    category_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await taxonomy.delete_category(session, principal, category_id)
    return CatalogNoContent()


@router.put(
    "/categories/{category_id}/translations/{language}",
    summary="Add or replace a category's name in another language",
    response_model=CategoryOut,
    responses=WRITE_ERRORS,
)
async def put_category_translation(
    category_id: uuid.UUID,
    language: LanguagePath,
    body: CategoryTranslationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CategoryOut:
    category = await taxonomy.put_category_translation(
        session, principal, category_id, language, body
    )
    return CategoryOut.of(category)


@router.delete(
    "/categories/{category_id}/translations/{language}",
    status_code=204,
    summary="Remove a category translation",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_category_translation(
    category_id: uuid.UUID, language: LanguagePath, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await taxonomy.delete_category_translation(session, principal, category_id, language)
    return CatalogNoContent()


tag_router = write_router(tags=["tags"])


@tag_router.post(
    "/tags", status_code=201, summary="Create a tag", response_model=TagOut, responses=WRITE_ERRORS
)
async def create_tag(body: TagCreate, session: DbSession, principal: CurrentPrincipal) -> TagOut:
    return TagOut.of(await taxonomy.create_tag(session, principal, body))


@tag_router.patch(
    "/tags/{tag_id}", summary="Rename a tag", response_model=TagOut, responses=WRITE_ERRORS
)
async def update_tag(
    tag_id: uuid.UUID, body: TagUpdate, session: DbSession, principal: CurrentPrincipal
) -> TagOut:
    return TagOut.of(await taxonomy.update_tag(session, principal, tag_id, body.label))


@tag_router.delete(
    "/tags/{tag_id}",
    status_code=204,
    summary="Delete a tag (it is removed from every course)",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_tag(
    tag_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await taxonomy.delete_tag(session, principal, tag_id)
    return CatalogNoContent()
