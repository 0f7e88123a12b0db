"""Organization wire models: requests (InputModel) and responses (ApiModel, ``XOut.of``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from campus.identity.data import (
    OrganizationMember,
    OrganizationMembership,
    OrganizationSummary,
    OrgRole,
)
from campus.identity.service.organizations import InvitationRecord, OrganizationChanges
from campus.kernel.schemas import ApiModel, InputModel, WebUrl

OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=60),
    Field(examples=["acme"], description="Lower-case letters, digits and hyphens"),
]
Colour = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=7, max_length=7),
    Field(examples=["#1a73e8"], description="`#rrggbb`"),
]
Domain = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=253)]
LogoUrl = Annotated[WebUrl, Field(max_length=1000)]
RoleName = Literal["org_admin", "manager", "learner"]

# --------------------------------------------------------------------------- requests


class OrganizationCreate(InputModel):
    name: OrgName
    slug: Slug
    logo_url: LogoUrl | None = None
    primary_colour: Colour | None = None
    domains: list[Domain] = Field(default_factory=list, max_length=20)
    auto_join_verified_domain: bool = False
    admin_user_id: uuid.UUID | None = Field(
        default=None, description="A user who becomes the organization's first org admin"
    )


class OrganizationPatch(InputModel):
    """Absent fields are unchanged; `logoUrl` and `primaryColour` may be null (cleared)."""

    name: OrgName | SkipJsonSchema[None] = None
    slug: Slug | SkipJsonSchema[None] = None
    logo_url: LogoUrl | None = None
    primary_colour: Colour | None = None
    domains: list[Domain] | SkipJsonSchema[None] = Field(default=None, max_length=20)
    auto_join_verified_domain: bool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _no_nulls(self) -> OrganizationPatch:
        for name in ("name", "slug", "domains", "auto_join_verified_domain"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be null")
        return self

    def changes(self) -> OrganizationChanges:
        return OrganizationChanges(
            fields=frozenset(self.model_fields_set),
            name=self.name,
            slug=self.slug,
            logo_url=self.logo_url,
            primary_colour=self.primary_colour,
            domains=tuple(self.domains or ()),
            auto_join_verified_domain=self.auto_join_verified_domain,
        )


class MemberRoleIn(InputModel):
    role: RoleName


class InvitationCreate(InputModel):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    role: RoleName = "learner"


class InvitationAcceptIn(InputModel):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


# --------------------------------------------------------------------------- responses


class OrganizationOut(ApiModel):
    id: uuid.UUID
    name: str
    slug: str
    logo_url: str | None
    primary_colour: str | None
    domains: list[str]
    auto_join_verified_domain: bool

    @classmethod
    def of(cls, org: OrganizationSummary) -> OrganizationOut:
        return cls(
            id=org.id,
            name=org.name,
            slug=org.slug,
            logo_url=org.logo_url,
            primary_colour=org.primary_colour,
            domains=list(org.domains),
            auto_join_verified_domain=org.auto_join_verified_domain,
        )


class OrganizationMemberOut(ApiModel):
    org_id: uuid.UUID
    user_id: uuid.UUID
    role: OrgRole
    display_name: str
    email: str
    joined_at: datetime
    invited_by: uuid.UUID | None

    @classmethod
    def of(cls, member: OrganizationMember) -> OrganizationMemberOut:
        return cls(
            org_id=member.org_id,
            user_id=member.user_id,
            role=member.role,
            display_name=member.display_name,
            email=member.email,
            joined_at=member.joined_at,
            invited_by=member.invited_by,
        )


class OrganizationMembershipOut(ApiModel):
    organization: OrganizationOut
    role: OrgRole
    joined_at: datetime

    @classmethod
    def of(cls, membership: OrganizationMembership) -> OrganizationMembershipOut:
        return cls(
            organization=OrganizationOut.of(membership.organization),
            role=membership.role,
            joined_at=membership.joined_at,
        )


class OrganizationInvitationOut(ApiModel):
    """An invitation as its organization's admins see it (never its token)."""

    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: OrgRole
    status: Literal["pending", "accepted", "revoked", "expired"]
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    invited_by: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, invitation: InvitationRecord) -> OrganizationInvitationOut:
        return cls(
            id=invitation.id,
            org_id=invitation.org_id,
            email=invitation.email,
            role=invitation.role,
            status=invitation.status.value,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            revoked_at=invitation.revoked_at,
            invited_by=invitation.invited_by,
            created_at=invitation.created_at,
        )
