"""``/organizations``: companies, their members and invitations; ``/users/me/organizations``
lists the caller's own. Who may do what is decided in ``service.organizations``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from campus.identity.data import OrgRole
from campus.identity.endpoints.errors import error_responses
from campus.identity.schemas.organizations import (
    InvitationAcceptIn,
    InvitationCreate,
    MemberRoleIn,
    OrganizationCreate,
    OrganizationInvitationOut,
    OrganizationMemberOut,
    OrganizationMembershipOut,
    OrganizationOut,
    OrganizationPatch,
)
from campus.identity.service import organizations
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/organizations", tags=["organizations"])
me_router = api_router(prefix="/users/me/organizations", tags=["organizations"])

Pagination = Annotated[PageParams, Depends(page_params)]
Search = Annotated[str | None, Query(max_length=100, description="Search text")]

_NOT_YOURS = "An organization you do not belong to is a 404 `organization_not_found`. "


@router.post(
    "/invitations/accept",
    summary="Accept an invitation",
    description="The signed-in user joins with the invitation's role when their verified "
    "email is the invited address (ADR 0032). Refused with 400 `invitation_invalid`, "
    "`invitation_used`, `invitation_expired` or `invitation_revoked`; 403 `email_unverified` "
    "or `invitation_email_mismatch`.",
    response_model=OrganizationMembershipOut,
    responses=error_responses(400, 401, 403, 404, 422),
)
async def accept_invitation(
    body: InvitationAcceptIn, session: DbSession, principal: CurrentPrincipal
) -> OrganizationMembershipOut:
    membership = await organizations.accept_invitation(session, principal, body.token)
    return OrganizationMembershipOut.of(membership)


@router.post(
    "",
    status_code=201,
    summary="Create an organization (platform admins)",
    description="A taken slug is a 409 `slug_taken`. `adminUserId` becomes its first org admin.",
    response_model=OrganizationOut,
    responses=error_responses(401, 403, 409, 422),
)
async def create_organization(
    body: OrganizationCreate, session: DbSession, principal: CurrentPrincipal
) -> OrganizationOut:
    created = await organizations.create(
        session,
        principal,
        name=body.name,
        slug=body.slug,
        logo_url=body.logo_url,
        primary_colour=body.primary_colour,
        domains=body.domains,
        auto_join_verified_domain=body.auto_join_verified_domain,
        admin_user_id=body.admin_user_id,
    )
    return OrganizationOut.of(created)


@router.get(
    "",
    summary="List every organization (platform admins)",
    description="`q` searches the name and the slug.",
    response_model=Page[OrganizationOut],
    responses=error_responses(401, 403, 422),
)
async def list_organizations(
    session: DbSession, principal: CurrentPrincipal, page: Pagination, q: Search = None
) -> Page[OrganizationOut]:
    items, total = await organizations.list_all(
        session, principal, search=q or None, offset=page.offset, limit=page.limit
    )
    return Page[OrganizationOut].build([OrganizationOut.of(i) for i in items], total, page)


@router.get(
    "/{org_id}",
    summary="One organization",
    description=_NOT_YOURS + "Every member may read it.",
    response_model=OrganizationOut,
    responses=error_responses(401, 404, 422),
)
async def get_organization(
    org_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> OrganizationOut:
    return OrganizationOut.of(await organizations.get(session, principal, org_id))


@router.patch(
    "/{org_id}",
    summary="Change an organization's name, branding, domains or settings",
    description=_NOT_YOURS + "Org admins and platform admins; only platform admins change "
    "the slug (403 `slug_change_denied`); a taken slug is a 409 `slug_taken`.",
    response_model=OrganizationOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def update_organization(
    org_id: uuid.UUID, body: OrganizationPatch, session: DbSession, principal: CurrentPrincipal
) -> OrganizationOut:
    updated = await organizations.update(session, principal, org_id, body.changes())
    return OrganizationOut.of(updated)


@router.delete(
    "/{org_id}",
    status_code=204,
    summary="Delete an organization with its members and invitations (platform admins)",
    responses=error_responses(401, 403, 404, 422),
)
async def delete_organization(
    org_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await organizations.delete(session, principal, org_id)
    return Response(status_code=204)


@router.get(
    "/{org_id}/members",
    summary="The organization's members (managers and org admins)",
    description=_NOT_YOURS + "`q` searches first name, last name and email. Learners get 403 "
    "`org_role_required`.",
    response_model=Page[OrganizationMemberOut],
    responses=error_responses(401, 403, 404, 422),
)
async def list_members(
    org_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    q: Search = None,
) -> Page[OrganizationMemberOut]:
    items, total = await organizations.list_members(
        session, principal, org_id, search=q or None, offset=page.offset, limit=page.limit
    )
    return Page[OrganizationMemberOut].build(
        [OrganizationMemberOut.of(i) for i in items], total, page
    )


@router.get(
    "/{org_id}/members/{user_id}",
    summary="One member (a learner reads their own membership only)",
    response_model=OrganizationMemberOut,
    responses=error_responses(401, 403, 404, 422),
)
async def get_member(
    org_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> OrganizationMemberOut:
    member = await organizations.get_member(session, principal, org_id, user_id)
    return OrganizationMemberOut.of(member)


@router.patch(
    "/{org_id}/members/{user_id}",
    summary="Change a member's role (org admins)",
    description="An organization keeps at least one org admin: 409 `last_org_admin`.",
    response_model=OrganizationMemberOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def change_member_role(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberRoleIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> OrganizationMemberOut:
    member = await organizations.change_role(
        session, principal, org_id, user_id, OrgRole(body.role)
    )
    return OrganizationMemberOut.of(member)


@router.delete(
    "/{org_id}/members/{user_id}",
    status_code=204,
    summary="Remove a member (org admins), or leave the organization",
    description="The last org admin cannot be removed: 409 `last_org_admin`.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await organizations.remove_member(session, principal, org_id, user_id)
    return Response(status_code=204)


@router.post(
    "/{org_id}/invitations",
    status_code=201,
    summary="Invite someone by email (org admins)",
    description="Emails a single-use link that expires after "
    "`CAMPUS_ORG_INVITATION_TTL_HOURS` (default 168).",
    response_model=OrganizationInvitationOut,
    responses=error_responses(401, 403, 404, 422),
)
async def invite_member(
    org_id: uuid.UUID,
    body: InvitationCreate,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> OrganizationInvitationOut:
    invitation = await organizations.invite(
        session,
        request.app.state.settings,
        principal,
        org_id,
        email=body.email,
        role=OrgRole(body.role),
    )
    return OrganizationInvitationOut.of(invitation)


@router.get(
    "/{org_id}/invitations",
    summary="The organization's invitations, newest first (org admins)",
    response_model=Page[OrganizationInvitationOut],
    responses=error_responses(401, 403, 404, 422),
)
async def list_invitations(
    org_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[OrganizationInvitationOut]:
    items, total = await organizations.list_invitations(
        session, principal, org_id, offset=page.offset, limit=page.limit
    )
    return Page[OrganizationInvitationOut].build(
        [OrganizationInvitationOut.of(i) for i in items], total, page
    )


@router.delete(
    "/{org_id}/invitations/{invitation_id}",
    status_code=204,
    summary="Revoke an invitation (org admins)",
    description="An accepted or already revoked invitation is a 409 `invitation_closed`.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def revoke_invitation(
    org_id: uuid.UUID, invitation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await organizations.revoke_invitation(session, principal, org_id, invitation_id)
    return Response(status_code=204)


@me_router.get(
    "",
    summary="The organizations I belong to, with my role",
    response_model=Page[OrganizationMembershipOut],
    responses=error_responses(401, 422),
)
async def my_organizations(
    session: DbSession, principal: CurrentPrincipal, page: Pagination
) -> Page[OrganizationMembershipOut]:
    every = await organizations.my_memberships(session, principal)
    items = every[page.offset : page.offset + page.limit]
    return Page[OrganizationMembershipOut].build(
        [OrganizationMembershipOut.of(i) for i in items], len(every), page
    )
