"""Notifications' settings section (``CAMPUS_NOTIFICATIONS_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class NotificationsSettings(SettingsSection):
    """Retries of a delivery, the email provider's webhook secret, digests, announcements."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPUS_NOTIFICATIONS_", extra="ignore", frozen=True
    )

    #: Sending attempts of one delivery before it is ``failed``.
    max_attempts: int = Field(default=5, ge=1, le=20)
    #: Delay before the second attempt; doubled for each further one (capped at an hour).
    retry_base_seconds: int = Field(default=30, ge=1, le=3600)
    #: Secret of the email provider's status webhook (HMAC-SHA256 of the body, hex, in
    #: ``X-Campus-Signature``). Empty: the webhook refuses every call.
    webhook_secret: SecretStr = SecretStr("")
    #: Local hour (in the user's time zone) the daily and weekly digests go out.
    digest_hour: int = Field(default=8, ge=0, le=23)
    #: Weekday of the weekly digest (0 = Monday).
    digest_weekday: int = Field(default=0, ge=0, le=6)
    #: Recipients per announcement job.
    announcement_batch: int = Field(default=1000, ge=10, le=10_000)
    #: Platform name shown in templates.
    platform_name: str = Field(default="Campus", max_length=60)
    #: VAPID private key of web push (PEM or base64url scalar; make one with
    #: ``campus.notifications.channels.push.generate_vapid_key_pair``). Empty: no web push.
    push_vapid_private_key: SecretStr = SecretStr("")
    #: The contact push services may write to (``mailto:`` or ``https:``).
    push_subject: str = "mailto:admin@campus.local"
    #: How long a push service keeps a message for an offline browser.
    push_ttl_seconds: int = Field(default=24 * 3600, ge=0, le=28 * 24 * 3600)
    #: Accept ``http`` and local push endpoints (development and tests only).
    push_allow_insecure_endpoints: bool = False
    #: ``sandbox`` keeps messages in memory; ``twilio`` sends through Twilio's REST API.
    sms_provider: Literal["sandbox", "twilio"] = "sandbox"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = ""
    twilio_base_url: str = "https://api.twilio.com"

    def check_production(self) -> None:
        if self.push_allow_insecure_endpoints:
            raise ValueError(
                "CAMPUS_NOTIFICATIONS_PUSH_ALLOW_INSECURE_ENDPOINTS is for development"
            )
