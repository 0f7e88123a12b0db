"""Identity response models (camelCase on the wire), each built from the domain object a
service returns (``XOut.of(...)``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from campus.identity.data import display_name
from campus.identity.repository.directory import InstructorRow
from campus.identity.service.account import AccountDetails
from campus.identity.service.admin import UserListItem
from campus.identity.service.login import IssuedSession, MfaChallenge
from campus.identity.service.sessions import ActiveSession
from campus.identity.service.tokens import IssuedToken
from campus.kernel.schemas import ApiModel

# --------------------------------------------------------------------------- tokens


class TokenPairOut(ApiModel):
    """``refreshToken`` is null when the client asked for the cookie only, or when the refresh
    token came in the cookie (browsers never see it in a body)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int
    refresh_token: str | None
    refresh_expires_at: datetime
    session_id: uuid.UUID

    @classmethod
    def of(cls, issued: IssuedSession, *, include_refresh: bool) -> TokenPairOut:
        return cls(
            access_token=issued.access.token,
            expires_in=issued.access.expires_in,
            refresh_token=issued.refresh_token if include_refresh else None,
            refresh_expires_at=issued.refresh_expires_at,
            session_id=issued.session_id,
        )


class MfaChallengeOut(ApiModel):
    """Login needs a second factor: send ``mfaToken`` with a code to ``/auth/mfa/verify``."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int

    @classmethod
    def of(cls, challenge: MfaChallenge) -> MfaChallengeOut:
        return cls(mfa_token=challenge.token.token, expires_in=challenge.token.expires_in)


class AccessTokenOut(ApiModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int

    @classmethod
    def of(cls, issued: IssuedToken) -> AccessTokenOut:
        return cls(access_token=issued.token, expires_in=issued.expires_in)


# --------------------------------------------------------------------------- my account


class SocialLinksOut(ApiModel):
    github: str | None = None
    linkedin: str | None = None
    twitter: str | None = None
    website: str | None = None


class ProfileOut(ApiModel):
    bio: str | None = None
    avatar_url: str | None = None
    location: str | None = None
    website: str | None = None
    occupation: str | None = None
    company: str | None = None
    phone: str | None = None
    address: str | None = None
    social_links: SocialLinksOut = SocialLinksOut()


class SettingsOut(ApiModel):
    email_notifications: bool = True
    marketing_emails: bool = False
    theme: str = "system"
    language: str = "en"
    time_zone: str = "UTC"


class UserOut(ApiModel):
    """``profileImageUrl`` mirrors ``profile.avatarUrl`` and ``languagePreference`` mirrors
    ``settings.language`` (seed 000 names); change them through ``profile``/``settings``."""

    id: uuid.UUID
    email: str
    email_verified: bool
    first_name: str
    last_name: str
    display_name: str
    date_of_birth: date | None
    profile_image_url: str | None
    language_preference: str
    status: str
    roles: list[str]
    permissions: list[str]
    mfa_enabled: bool
    created_at: datetime
    last_login_at: datetime | None
    profile: ProfileOut
    settings: SettingsOut

    @classmethod
    def of(cls, details: AccountDetails) -> UserOut:
        user = details.account.user
        p = details.account.profile
        s = details.account.settings
        profile = ProfileOut()
        if p is not None:
            links = {k: v for k, v in (p.social_links or {}).items() if isinstance(v, str)}
            profile = ProfileOut(
                bio=p.bio,
                avatar_url=p.avatar_url,
                location=p.location,
                website=p.website,
                occupation=p.occupation,
                company=p.company,
                phone=p.phone,
                address=p.address,
                social_links=SocialLinksOut(**links),
            )
        settings = SettingsOut()
        if s is not None:
            settings = SettingsOut(
                email_notifications=s.email_notifications,
                marketing_emails=s.marketing_emails,
                theme=s.theme,
                language=s.language,
                time_zone=s.time_zone,
            )
        return cls(
            id=user.id,
            email=user.email,
            email_verified=user.email_verified_at is not None,
            first_name=user.first_name,
            last_name=user.last_name,
            display_name=display_name(user.first_name, user.last_name),
            date_of_birth=user.date_of_birth,
            profile_image_url=profile.avatar_url,
            language_preference=settings.language,
            status=user.status,
            roles=sorted(details.roles),
            permissions=sorted(details.permissions),
            mfa_enabled=details.account.mfa_enabled,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            profile=profile,
            settings=settings,
        )


class SessionOut(ApiModel):
    id: uuid.UUID
    device: str
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_active_at: datetime
    current: bool

    @classmethod
    def of(cls, session: ActiveSession) -> SessionOut:
        return cls(
            id=session.id,
            device=session.device,
            ip_address=session.ip_address,
            user_agent=session.user_agent,
            created_at=session.created_at,
            last_active_at=session.last_active_at,
            current=session.current,
        )


class MfaSetupOut(ApiModel):
    secret: str
    otpauth_uri: str


class RecoveryCodesOut(ApiModel):
    """Shown once: store them somewhere safe. Each works one time."""

    recovery_codes: list[str]


# --------------------------------------------------------------------------- instructors


class InstructorOut(ApiModel):
    id: uuid.UUID
    display_name: str
    first_name: str
    last_name: str
    avatar_url: str | None
    headline: str | None
    bio: str | None
    expertise: list[str]
    years_of_experience: int | None

    @classmethod
    def of(cls, row: InstructorRow) -> InstructorOut:
        return cls(
            id=row.user_id,
            display_name=display_name(row.first_name, row.last_name),
            first_name=row.first_name,
            last_name=row.last_name,
            avatar_url=row.avatar_url,
            headline=row.headline,
            bio=row.bio,
            expertise=list(row.expertise or []),
            years_of_experience=row.years_of_experience,
        )


# --------------------------------------------------------------------------- admin


class AdminUserOut(ApiModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    display_name: str
    email_verified: bool
    status: str
    roles: list[str]
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, item: UserListItem) -> AdminUserOut:
        user = item.user
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            display_name=display_name(user.first_name, user.last_name),
            email_verified=user.email_verified_at is not None,
            status=user.status,
            roles=sorted(item.roles),
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class RolesOut(ApiModel):
    user_id: uuid.UUID
    roles: list[str]
