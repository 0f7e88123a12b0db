"""Identity ORM models (seed 000 users/instructors, seed 001 IAM, seed 002 §7.1, seed 003 auth.*).

Deviations from the seeds, on purpose:

* roles and permissions are keyed by their stable names (no serial ids to keep in sync between
  databases); ``user_roles`` holds ``(user_id, role_name)``;
* the email is stored as entered (domain lower-cased) in ``email`` and fully normalised in
  ``email_key``, which carries the unique constraint (case-insensitive uniqueness);
* refresh tokens, email/reset tokens and recovery codes are stored as SHA-256 hashes only;
* the TOTP secret is stored encrypted (AES-GCM, key derived from ``CAMPUS_SECRET_KEY``);
* one row per (user, purpose) in ``identity_action_tokens``: issuing a new token overwrites the
  old one, which is how "a new request voids the old" holds even under concurrency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONType, TimestampMixin

_USER_FK = "users.id"


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'deactivated')", name="status"),
        sa.CheckConstraint("token_version >= 0", name="token_version"),
    )

    email: Mapped[str] = mapped_column(sa.String(254))
    email_key: Mapped[str] = mapped_column(sa.String(254), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(50))
    last_name: Mapped[str] = mapped_column(sa.String(50))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    date_of_birth: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)
    token_version: Mapped[int] = mapped_column(default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)


class UserProfile(TimestampMixin, Base):
    """Seed 003 UserProfile (+ occupation/company/phone/address/socials)."""

    __tablename__ = "user_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str | None] = mapped_column(sa.Text, default=None)
    avatar_url: Mapped[str | None] = mapped_column(sa.String(1000), default=None)
    location: Mapped[str | None] = mapped_column(sa.String(120), default=None)
    website: Mapped[str | None] = mapped_column(sa.String(1000), default=None)
    occupation: Mapped[str | None] = mapped_column(sa.String(120), default=None)
    company: Mapped[str | None] = mapped_column(sa.String(120), default=None)
    phone: Mapped[str | None] = mapped_column(sa.String(32), default=None)
    address: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    social_links: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class UserSettings(TimestampMixin, Base):
    """Seed 001 user_settings. ``language`` is also the user's language preference."""

    __tablename__ = "user_settings"
    __table_args__ = (sa.CheckConstraint("theme IN ('light', 'dark', 'system')", name="theme"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    email_notifications: Mapped[bool] = mapped_column(default=True)
    marketing_emails: Mapped[bool] = mapped_column(default=False)
    theme: Mapped[str] = mapped_column(sa.String(8), default="system")
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    #: IANA time zone of the user's wall clock (quiet hours, digests, local times).
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")


class Role(Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Permission(Base):
    __tablename__ = "permissions"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RolePermission(Base):
    __tablename__ = "role_permissions"

    role_name: Mapped[str] = mapped_column(
        sa.ForeignKey("roles.name", ondelete="CASCADE"), primary_key=True
    )
    permission_name: Mapped[str] = mapped_column(
        sa.ForeignKey("permissions.name", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    role_name: Mapped[str] = mapped_column(
        sa.ForeignKey("roles.name", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(IdMixin, Base):
    """A signed-in device: one refresh-token family (seed 001 user_sessions, seed 003 Session)."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), index=True
    )
    device: Mapped[str] = mapped_column(sa.String(120))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(sa.String(512), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32), default=None)


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ActionToken(Base):
    """Email verification, password reset and email change tokens: one live row per purpose."""

    __tablename__ = "identity_action_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class MfaTotp(TimestampMixin, Base):
    """A TOTP enrolment. ``confirmed_at`` is None until the user proves a first code."""

    __tablename__ = "mfa_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(sa.String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)


class MfaRecoveryCode(IdMixin, Base):
    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class InstructorProfile(TimestampMixin, Base):
    """Seed 000 instructors + seed 002 instructors (title/headline, years of experience)."""

    __tablename__ = "instructor_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    headline: Mapped[str | None] = mapped_column(sa.String(120), default=None)
    bio: Mapped[str | None] = mapped_column(sa.Text, default=None)
    expertise: Mapped[list[str]] = mapped_column(JSONType, default=list)
    years_of_experience: Mapped[int | None] = mapped_column(sa.SmallInteger, default=None)


class Organization(IdMixin, TimestampMixin, Base):
    """A company (seed 001 company_id, company_settings): its branding, its email domains and
    whether a user who verifies an email of one of those domains joins it as a learner."""

    __tablename__ = "identity_organizations"
    __table_args__ = (
        sa.CheckConstraint("length(slug) >= 2", name="slug_length"),
        sa.CheckConstraint("length(primary_colour) = 7", name="primary_colour_length"),
    )

    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    logo_url: Mapped[str | None] = mapped_column(sa.String(1000), default=None)
    primary_colour: Mapped[str | None] = mapped_column(sa.String(7), default=None)
    domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auto_join_verified_domain: Mapped[bool] = mapped_column(default=False)


class OrganizationMember(Base):
    """A user's place in an organization. The role column is also what the last-admin guard
    counts: a demotion or a removal is one conditional statement on these rows."""

    __tablename__ = "identity_organization_members"
    __table_args__ = (
        sa.CheckConstraint("role IN ('org_admin', 'manager', 'learner')", name="role"),
        sa.Index("ix_identity_organization_members_user", "user_id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="SET NULL"), default=None
    )


class OrganizationInvitation(IdMixin, Base):
    """An invitation by email: the link carries a token stored here as its SHA-256 only."""

    __tablename__ = "identity_organization_invitations"
    __table_args__ = (
        sa.CheckConstraint("role IN ('org_admin', 'manager', 'learner')", name="role"),
        sa.Index("ix_identity_organization_invitations_org", "org_id", "created_at"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity_organizations.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey(_USER_FK, ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
