"""Identity request bodies. Every input model forbids unknown fields (AC-03/04); passwords are
never stripped or truncated. Response models live in ``schemas.responses``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from campus.identity.service import validation
from campus.identity.service.account import AccountChanges
from campus.identity.service.passwords import MAX_LENGTH, MIN_LENGTH
from campus.kernel.clock import utcnow
from campus.kernel.schemas import LANGUAGE_TAG_PATTERN, InputModel, WebUrl


def _name(value: str) -> str:
    return validation.clean_name(value)


def _email(value: str) -> str:
    return validation.normalize_email(value).email


def _phone(value: str) -> str:
    return validation.clean_phone(value)


def _language(value: str) -> str:
    return validation.clean_language(value)


def _text(max_length: int, *, multiline: bool = False) -> AfterValidator:
    return AfterValidator(
        lambda v: validation.clean_text(v, max_length=max_length, multiline=multiline)
    )


Name = Annotated[
    str,
    StringConstraints(min_length=validation.NAME_MIN, max_length=validation.NAME_MAX),
    AfterValidator(_name),
]
Email = Annotated[
    str,
    StringConstraints(max_length=validation.EMAIL_MAX),
    Field(json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]
#: Login and lookups: any string (a malformed address simply matches no account).
EmailLookup = Annotated[str, StringConstraints(min_length=1, max_length=320)]
NewPassword = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=MIN_LENGTH, max_length=MAX_LENGTH),
]
CurrentPassword = Annotated[
    str, StringConstraints(strip_whitespace=False, min_length=1, max_length=MAX_LENGTH)
]
OpaqueToken = Annotated[str, StringConstraints(min_length=16, max_length=256)]
TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
RecoveryCode = Annotated[str, StringConstraints(min_length=8, max_length=64)]
Url = Annotated[WebUrl, Field(max_length=1000)]
Phone = Annotated[
    str, StringConstraints(max_length=40, pattern=validation.PHONE_PATTERN), AfterValidator(_phone)
]
Language = Annotated[
    str, StringConstraints(max_length=16, pattern=LANGUAGE_TAG_PATTERN), AfterValidator(_language)
]


def _check_birth_date(value: date | None) -> date | None:
    if value is None:
        return None
    today = utcnow().date()
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if value >= today or age > 120:
        raise ValueError("must be a date in the past, within 120 years")
    if age < 13:
        raise ValueError("you must be at least 13 years old")
    return value


BirthDate = Annotated[date, AfterValidator(_check_birth_date)]


# --------------------------------------------------------------------------- auth


class RegisterIn(InputModel):
    first_name: Name
    last_name: Name
    email: Email
    password: NewPassword
    date_of_birth: BirthDate | None = None
    phone: Phone | None = None
    language_preference: Language | None = None


class LoginIn(InputModel):
    email: EmailLookup
    password: CurrentPassword
    cookie_only: bool = Field(
        default=False,
        description="Browsers: true to receive the refresh token only as an httpOnly cookie.",
    )


class RefreshIn(InputModel):
    """API clients send the refresh token here; browsers may send no body (cookie)."""

    refresh_token: OpaqueToken | None = None
    cookie_only: bool = False


class LogoutIn(InputModel):
    refresh_token: OpaqueToken | None = None


class TokenIn(InputModel):
    token: OpaqueToken


class EmailIn(InputModel):
    email: EmailLookup


class ResetPasswordIn(InputModel):
    token: OpaqueToken
    new_password: NewPassword


class MfaVerifyIn(InputModel):
    mfa_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None
    cookie_only: bool = False

    @model_validator(mode="after")
    def _one_factor(self) -> MfaVerifyIn:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("give either 'code' or 'recoveryCode'")
        return self


# --------------------------------------------------------------------------- my account


class ChangePasswordIn(InputModel):
    current_password: CurrentPassword
    new_password: NewPassword


class ChangeEmailIn(InputModel):
    current_password: CurrentPassword
    new_email: Email


class PasswordConfirmIn(InputModel):
    current_password: CurrentPassword


class MfaConfirmIn(InputModel):
    code: TotpCode


class MfaDisableIn(InputModel):
    current_password: CurrentPassword
    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> MfaDisableIn:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("give either 'code' or 'recoveryCode'")
        return self


class SocialLinksIn(InputModel):
    github: Url | None = None
    linkedin: Url | None = None
    twitter: Url | None = None
    website: Url | None = None


class ProfilePatch(InputModel):
    bio: Annotated[str, _text(2000, multiline=True)] | None = None
    avatar_url: Url | None = None
    location: Annotated[str, _text(120)] | None = None
    website: Url | None = None
    occupation: Annotated[str, _text(120)] | None = None
    company: Annotated[str, _text(120)] | None = None
    phone: Phone | None = None
    address: Annotated[str, _text(500, multiline=True)] | None = None
    social_links: SocialLinksIn | None = None

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if "social_links" in values:
            links = self.social_links
            values["social_links"] = {} if links is None else links.model_dump(exclude_none=True)
        return values


#: An IANA time zone name; the account service checks it against the zone database (422).
TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), Field(examples=["Europe/Paris"])
]


class SettingsPatch(InputModel):
    # Absent means "unchanged"; null is refused, so the document does not offer it.
    email_notifications: bool | SkipJsonSchema[None] = None
    marketing_emails: bool | SkipJsonSchema[None] = None
    theme: Literal["light", "dark", "system"] | SkipJsonSchema[None] = None
    language: Language | SkipJsonSchema[None] = None
    time_zone: TimeZoneName | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _no_nulls(self) -> SettingsPatch:
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class AccountPatch(InputModel):
    """Only these fields can change; anything else (role, emailVerified, status...) is a 422."""

    # Absent means "unchanged"; null is refused, so the document does not offer it.
    first_name: Name | SkipJsonSchema[None] = None
    last_name: Name | SkipJsonSchema[None] = None
    date_of_birth: BirthDate | None = None
    profile: ProfilePatch | None = None
    settings: SettingsPatch | None = None

    @field_validator("first_name", "last_name")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("cannot be null")
        return value

    def to_changes(self) -> AccountChanges:
        user: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("first_name", "last_name", "date_of_birth")
            if name in self.model_fields_set
        }
        return AccountChanges(
            user=user,
            profile=self.profile.changes() if self.profile else {},
            settings=self.settings.changes() if self.settings else {},
        )


class InstructorProfilePatch(InputModel):
    headline: Annotated[str, _text(120)] | None = None
    bio: Annotated[str, _text(5000, multiline=True)] | None = None
    expertise: (
        Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=50), _text(50)]],
            Field(max_length=20),
        ]
        | None
    ) = None
    years_of_experience: Annotated[int, Field(ge=0, le=80)] | None = None

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if "expertise" in values:
            values["expertise"] = list(dict.fromkeys(values["expertise"] or []))
        return values


# --------------------------------------------------------------------------- admin


class AssignRoleIn(InputModel):
    role: Annotated[str, StringConstraints(min_length=1, max_length=50)]
