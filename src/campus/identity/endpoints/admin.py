"""``/admin/users``: user and role management for administrators."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Path, Query

from campus.identity.endpoints.errors import error_responses
from campus.identity.repository.directory import UserFilters
from campus.identity.schemas.requests import AssignRoleIn
from campus.identity.schemas.responses import (
    AdminUserOut,
    RolesOut,
    UserOut,
)
from campus.identity.service import admin
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params, parse_sort, sort_pattern

router = api_router(prefix="/admin/users", tags=["admin"])

Pagination = Annotated[PageParams, Depends(page_params)]
RoleName = Literal["student", "instructor", "consultant", "admin"]


@router.get(
    "",
    summary="List users (search, filter, sort, paginate)",
    description="`q` searches first name, last name and email (case-insensitive substring). "
    "Sort by `createdAt`, `lastName` or `email` (prefix `-` for descending).",
    response_model=Page[AdminUserOut],
    responses=error_responses(401, 403, 422),
)
async def list_users(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    q: Annotated[str | None, Query(max_length=100, description="Search text")] = None,
    role: Annotated[RoleName | None, Query()] = None,
    status: Annotated[Literal["active", "deactivated"] | None, Query()] = None,
    verified: Annotated[bool | None, Query()] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=100,
            examples=["-createdAt"],
            json_schema_extra={"pattern": sort_pattern(admin.USER_SORT_FIELDS)},
        ),
    ] = None,
) -> Page[AdminUserOut]:
    specs = parse_sort(sort, dict.fromkeys(admin.USER_SORT_FIELDS), "-createdAt")
    filters = UserFilters(search=q or None, role=role, status=status, verified=verified)
    items, total = await admin.list_users(session, principal, filters, specs, page)
    return Page[AdminUserOut].build([AdminUserOut.of(i) for i in items], total, page)


@router.get(
    "/{user_id}",
    summary="One user's account",
    response_model=UserOut,
    responses=error_responses(401, 403, 404, 422),
)
async def get_user(user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> UserOut:
    return UserOut.of(await admin.user_detail(session, principal, user_id))


@router.post(
    "/{user_id}/roles",
    summary="Assign a role",
    description="Takes effect at the user's next request. Assigning `instructor` creates the "
    "instructor profile.",
    response_model=RolesOut,
    responses=error_responses(401, 403, 404, 422),
)
async def assign_role(
    user_id: uuid.UUID, body: AssignRoleIn, session: DbSession, principal: CurrentPrincipal
) -> RolesOut:
    roles = await admin.assign_role(session, principal, user_id, body.role)
    return RolesOut(user_id=user_id, roles=sorted(roles))


@router.delete(
    "/{user_id}/roles/{role}",
    summary="Remove a role",
    description="Takes effect at the user's next request. You cannot remove your own admin role.",
    response_model=RolesOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def remove_role(
    user_id: uuid.UUID,
    role: Annotated[str, Path(max_length=50)],
    session: DbSession,
    principal: CurrentPrincipal,
) -> RolesOut:
    roles = await admin.remove_role(session, principal, user_id, role)
    return RolesOut(user_id=user_id, roles=sorted(roles))


@router.post(
    "/{user_id}/deactivate",
    summary="Deactivate an account",
    description="Revokes every session; the user's tokens stop working at once.",
    response_model=UserOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def deactivate_user(
    user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> UserOut:
    return UserOut.of(await admin.deactivate(session, principal, user_id))


@router.post(
    "/{user_id}/reactivate",
    summary="Reactivate an account",
    response_model=UserOut,
    responses=error_responses(401, 403, 404, 422),
)
async def reactivate_user(
    user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> UserOut:
    return UserOut.of(await admin.reactivate(session, principal, user_id))
