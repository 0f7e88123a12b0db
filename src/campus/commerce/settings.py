"""Commerce's settings section (``CAMPUS_COMMERCE_*``)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection

if TYPE_CHECKING:
    from campus.config import Settings

#: The label the embedded sandbox's webhook secret is derived under from ``CAMPUS_SECRET_KEY``.
SANDBOX_WEBHOOK_LABEL = b"campus.commerce.sandbox-webhook-secret.v1"


class CommerceSettings(SettingsSection):
    """The gateway a deployment takes payments through and its credentials; how long unpaid
    orders live; the refund window; tax inclusion; the seller shown on invoices; instructor
    revenue share and payouts; how long idempotency keys are kept."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_COMMERCE_", extra="ignore", frozen=True)

    gateway: Literal["sandbox", "stripe", "paypal"] = "sandbox"
    order_expiry_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    refund_window_days: int = Field(default=14, ge=0, le=365)
    refund_max_progress_percent: int = Field(default=30, ge=0, le=100)
    #: A refund ends the learner's access (their progress is kept).
    revoke_access_on_refund: bool = True
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    #: Signs the sandbox gateway's webhooks. Empty: derived from ``CAMPUS_SECRET_KEY``
    #: (see ``sandbox_webhook_secret_of``), so the embedded default works unconfigured.
    sandbox_webhook_secret: SecretStr = SecretStr("")
    sandbox_webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    stripe_api_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    #: Empty: Stripe's own API.
    stripe_api_base: str = ""
    paypal_client_id: str = ""
    paypal_client_secret: SecretStr = SecretStr("")
    paypal_webhook_id: str = ""
    paypal_api_base: str = "https://api-m.sandbox.paypal.com"
    #: Catalog prices already contain the buyer's tax (tax is extracted from them).
    prices_include_tax: bool = False
    seller_name: str = "Campus"
    seller_address: str = ""
    seller_tax_id: str = ""
    platform_share_percent: int = Field(default=30, ge=0, le=100)
    payout_method: Literal["bank_transfer", "paypal", "stripe_connect"] = "bank_transfer"
    payout_minimum_minor: int = Field(default=0, ge=0)
    fulfilment_max_attempts: int = Field(default=5, ge=1, le=50)
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    reconcile_after_minutes: int = Field(default=10, ge=1, le=24 * 60)

    def check_production(self) -> None:
        if self.gateway == "stripe" and not (
            self.stripe_api_key.get_secret_value() and self.stripe_webhook_secret.get_secret_value()
        ):
            raise ValueError(
                "CAMPUS_COMMERCE_GATEWAY=stripe needs CAMPUS_COMMERCE_STRIPE_API_KEY and "
                "CAMPUS_COMMERCE_STRIPE_WEBHOOK_SECRET"
            )
        if self.gateway == "paypal" and not (
            self.paypal_client_id
            and self.paypal_client_secret.get_secret_value()
            and self.paypal_webhook_id
        ):
            raise ValueError(
                "CAMPUS_COMMERCE_GATEWAY=paypal needs CAMPUS_COMMERCE_PAYPAL_CLIENT_ID, "
                "CAMPUS_COMMERCE_PAYPAL_CLIENT_SECRET and CAMPUS_COMMERCE_PAYPAL_WEBHOOK_ID"
            )


def sandbox_webhook_secret_of(settings: Settings) -> str:
    """The sandbox gateway's webhook signing secret: the configured one, or one derived from
    the deployment's ``CAMPUS_SECRET_KEY`` under a label of its own (never the key itself)."""
    configured = CommerceSettings.of(settings).sandbox_webhook_secret.get_secret_value()
    if configured:
        return configured
    key = settings.secret_key.get_secret_value().encode()
    return "whsec_" + hmac.new(key, SANDBOX_WEBHOOK_LABEL, hashlib.sha256).hexdigest()
