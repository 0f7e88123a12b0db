"""Payment gateways behind one port (``port.py``): sandbox, stripe, paypal.

``build_gateway(settings, db)`` builds the deployment's gateway
(``CAMPUS_COMMERCE_GATEWAY``); ``gateway_of(request)`` is the app's own instance (built once,
on first use). ``db`` is Campus's database, which the sandbox's hosted pages use to enqueue
their webhook deliveries; job handlers pass ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campus.commerce.gateways.port import PaymentGateway
from campus.commerce.settings import CommerceSettings

if TYPE_CHECKING:
    from fastapi import Request

    from campus.config import Settings
    from campus.kernel.db import Database


def build_gateway(settings: Settings, db: Database | None = None) -> PaymentGateway:
    name = CommerceSettings.of(settings).gateway
    if name == "sandbox":
        from campus.commerce.gateways.sandbox import SandboxGateway

        return SandboxGateway(settings, db)
    if name == "stripe":
        from campus.commerce.gateways.stripe import StripeGateway

        return StripeGateway.from_settings(CommerceSettings.of(settings))
    if name == "paypal":
        from campus.commerce.gateways.paypal import PayPalGateway

        return PayPalGateway.from_settings(CommerceSettings.of(settings))
    raise ValueError(f"the {name!r} gateway is not available in this build")


_APP_GATEWAY = "commerce_gateway"


def gateway_of(request: Request) -> PaymentGateway:
    """The gateway of the app serving ``request`` (built on first use, then kept)."""
    state = request.app.state
    gateway: PaymentGateway | None = getattr(state, _APP_GATEWAY, None)
    if gateway is None:
        gateway = build_gateway(state.settings, state.db)
        setattr(state, _APP_GATEWAY, gateway)
    return gateway
