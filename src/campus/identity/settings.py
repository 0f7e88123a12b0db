"""Identity's settings section: tokens, sessions, MFA policy and the auth rate limits."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from campus.kernel.auth import VERIFIED_EMAIL_ACTIONS
from campus.kernel.module import SettingsSection


class IdentitySettings(SettingsSection):
    """``CAMPUS_JWT_*``, token lifetimes, the refresh cookie, MFA policy, auth rate limits."""

    jwt_private_key: SecretStr = SecretStr("")
    jwt_issuer: str = "campus"
    jwt_audience: str = "campus-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_idle_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    refresh_absolute_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    refresh_cookie_secure: bool = True
    require_mfa_for_admins: bool = False
    #: What an unverified email address may not do: a comma-separated subset of ``login``,
    #: ``enroll``, ``submit`` (empty: nothing is reserved). Refused with 403 ``email_unverified``.
    require_verified_email_for: Annotated[frozenset[str], NoDecode] = frozenset(
        {"enroll", "submit"}
    )

    login_failures_per_account_per_hour: int = Field(default=100, ge=1)
    login_attempts_per_ip_per_minute: int = Field(default=30, ge=1)
    auth_emails_per_hour: int = Field(default=5, ge=1)
    #: Account emails (verify/reset/resend/register) one client IP may trigger per hour.
    auth_emails_per_ip_per_hour: int = Field(default=20, ge=1)
    refresh_per_ip_per_minute: int = Field(default=60, ge=1)
    #: How long an organization's invitation link can be used (hours).
    org_invitation_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)

    @field_validator("require_verified_email_for", mode="before")
    @classmethod
    def _actions(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip().lower() for item in value.split(",") if item.strip()]
        if isinstance(value, list | tuple | set | frozenset):
            unknown = set(value) - VERIFIED_EMAIL_ACTIONS - {"none"}
            if unknown:
                raise ValueError(
                    f"unknown action(s) {sorted(unknown)}: use {sorted(VERIFIED_EMAIL_ACTIONS)}"
                )
            return frozenset(value) - {"none"}
        return value

    def check_production(self) -> None:
        if not self.jwt_private_key.get_secret_value():
            raise ValueError("CAMPUS_JWT_PRIVATE_KEY (PEM, Ed25519) must be set in production")
