"""The Stripe adapter against the local Stripe double, through the official library over real
HTTP: PaymentIntents, refunds, customers and saved cards, money and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.port import (
    CardDetails,
    GatewayError,
    GatewayPaymentStatus,
    GatewayRefundStatus,
    PaymentRequest,
)
from campus.commerce.gateways.stripe import StripeGateway, from_stripe_amount, to_stripe_amount
from campus.config import Settings

from .doubles.server import serve
from .doubles.stripe_double import API_KEY, StripeDouble

# The stripe library hands httpx its form body as ``data=<str>``.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
async def double() -> AsyncIterator[StripeDouble]:
    fake = StripeDouble()
    async with serve(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


def make_gateway(
    double: StripeDouble, *, api_key: str = API_KEY, timeout: float = 5.0
) -> StripeGateway:
    return StripeGateway(
        api_key=api_key,
        webhook_secret="whsec_test",
        api_base=double.url,
        timeout_seconds=timeout,
        max_network_retries=0,
    )


@pytest.fixture
async def gateway(double: StripeDouble) -> AsyncIterator[StripeGateway]:
    adapter = make_gateway(double)
    yield adapter
    await adapter.aclose()


def payment_request(**overrides: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "order_id": "0192f1a0-0000-7000-8000-000000000001",
        "amount_minor": 1999,
        "currency": "USD",
        "description": "Campus order ORD-2026-ABC",
        "idempotency_key": "order:1:attempt:1",
        "return_url": "https://campus.example/orders/1/return",
        "cancel_url": "https://campus.example/orders/1",
        "buyer_email": "buyer@example.com",
    }
    fields.update(overrides)
    return PaymentRequest(**fields)  # type: ignore[arg-type]


def posts(double: StripeDouble, path: str) -> list[dict[str, Any]]:
    return [params for method, p, _, params in double.requests if method == "POST" and p == path]


# --------------------------------------------------------------------------- payment intents


async def test_a_saved_card_payment_is_a_form_encoded_intent_with_key_and_bearer_auth(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    payment = await gateway.create_payment(
        payment_request(metadata={"cart": "c1"}, payment_method_token="pm_card_visa")
    )

    assert payment.gateway == "stripe"
    assert payment.gateway_payment_id.startswith("pi_")
    assert (payment.amount_minor, payment.currency) == (1999, "USD")
    method, path, headers, params = next(r for r in double.requests if r[0] == "POST")
    assert (method, path) == ("POST", "/v1/payment_intents")
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["idempotency-key"] == "order:1:attempt:1"
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert params["amount"] == "1999"
    assert params["currency"] == "usd"
    assert params["metadata"] == {"cart": "c1", "order_id": "0192f1a0-0000-7000-8000-000000000001"}
    assert params["receipt_email"] == "buyer@example.com"
    assert params["allowed_payment_method_types"] == ["card"]


async def test_a_new_card_payment_is_stripes_hosted_page_a_checkout_session(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    payment = await gateway.create_payment(payment_request(metadata={"cart": "c1"}))

    assert payment.gateway_payment_id.startswith("cs_")
    assert payment.status is GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
    assert (
        payment.next_action_url == f"https://checkout.stripe.com/c/pay/{payment.gateway_payment_id}"
    )
    assert (payment.amount_minor, payment.currency) == (1999, "USD")
    _, _, headers, params = double.requests[0]
    assert headers["idempotency-key"] == "order:1:attempt:1"
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "usd",
                "unit_amount": "1999",
                "product_data": {"name": "Campus order ORD-2026-ABC"},
            },
        }
    ]
    assert params["success_url"] == (
        "https://campus.example/orders/1/return?payment_intent={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "https://campus.example/orders/1"
    assert params["customer_email"] == "buyer@example.com"
    assert params["client_reference_id"] == "0192f1a0-0000-7000-8000-000000000001"
    assert params["metadata"] == {"cart": "c1", "order_id": "0192f1a0-0000-7000-8000-000000000001"}


async def test_the_hosted_page_paid_is_a_succeeded_payment_with_the_card(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.pay_session(created.gateway_payment_id, "pm_card_mastercard")

    payment = await gateway.get_payment(created.gateway_payment_id)

    assert payment.gateway_payment_id == created.gateway_payment_id
    assert payment.status is GatewayPaymentStatus.SUCCEEDED
    assert payment.next_action_url is None
    assert payment.payment_method is not None
    assert (payment.payment_method.brand, payment.payment_method.last4) == ("mastercard", "4444")
    assert await gateway.capture_payment(created.gateway_payment_id) == payment


async def test_a_decline_on_the_hosted_page_leaves_it_open_for_another_card(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.pay_session(created.gateway_payment_id, "pm_card_visa_chargeDeclined")

    payment = await gateway.get_payment(created.gateway_payment_id)

    assert payment.status is GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
    assert payment.next_action_url == created.next_action_url


async def test_a_delayed_payment_on_the_hosted_page_is_processing(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.pay_session(created.gateway_payment_id, "pm_card_visa_processing")
    payment = await gateway.get_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.PROCESSING


async def test_saving_a_card_on_the_hosted_page_creates_the_customer_it_is_saved_on(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request(save_payment_method=True))
    double.pay_session(created.gateway_payment_id, "pm_card_visa")

    payment = await gateway.get_payment(created.gateway_payment_id)
    again = await gateway.create_payment(
        payment_request(idempotency_key="order:2:attempt:1", payment_method_token="pm_card_visa")
    )

    params = posts(double, "/v1/checkout/sessions")[0]
    assert params["customer_creation"] == "always"
    assert params["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert payment.customer_ref is not None
    assert payment.payment_method is not None
    assert payment.payment_method.token == "pm_card_visa"
    # Paying later with the saved card pays as the customer it was saved on.
    assert again.status is GatewayPaymentStatus.SUCCEEDED
    assert posts(double, "/v1/payment_intents")[-1]["customer"] == payment.customer_ref


async def test_same_idempotency_key_returns_the_same_payment(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    first = await gateway.create_payment(payment_request())
    second = await gateway.create_payment(payment_request())

    assert second.gateway_payment_id == first.gateway_payment_id
    assert len(double.sessions) == 1


async def test_a_long_idempotency_key_becomes_one_stripe_accepts(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    key = "refund:" + "k" * 300
    first = await gateway.create_payment(payment_request(idempotency_key=key))
    second = await gateway.create_payment(payment_request(idempotency_key=key))
    assert second.gateway_payment_id == first.gateway_payment_id
    sent = {h["idempotency-key"] for m, p, h, _ in double.requests if p == "/v1/checkout/sessions"}
    assert len(sent) == 1
    assert len(sent.pop()) <= 255


async def test_same_idempotency_key_with_another_amount_is_a_non_retryable_error(
    gateway: StripeGateway,
) -> None:
    await gateway.create_payment(payment_request())
    with pytest.raises(GatewayError) as caught:
        await gateway.create_payment(payment_request(amount_minor=2999))
    assert caught.value.retryable is False


async def test_saved_card_confirms_at_once_and_reports_its_display_data(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    customer = await gateway.create_customer(email="buyer@example.com")
    await gateway.attach_payment_method("pm_card_visa", customer_ref=customer)

    payment = await gateway.create_payment(
        payment_request(customer_ref=customer, payment_method_token="pm_card_visa")
    )

    assert payment.status is GatewayPaymentStatus.SUCCEEDED
    assert payment.customer_ref == customer
    assert payment.payment_method == CardDetails("pm_card_visa", "visa", "4242", 12, 2034)
    params = posts(double, "/v1/payment_intents")[0]
    # Charged off-session, as Stripe documents charging a saved card.
    assert (params["confirm"], params["off_session"]) == ("true", "true")
    assert params["payment_method"] == "pm_card_visa"
    assert "return_url" not in params
    assert "setup_future_usage" not in params


async def test_saving_a_card_asks_for_future_use_on_the_customer(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    customer = await gateway.create_customer(email="buyer@example.com")
    await gateway.create_payment(payment_request(customer_ref=customer, save_payment_method=True))

    params = posts(double, "/v1/checkout/sessions")[0]
    assert params["customer"] == customer
    assert "customer_creation" not in params
    assert params["payment_intent_data"]["setup_future_usage"] == "off_session"


@pytest.mark.parametrize(
    ("token", "code", "message"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "Your card was declined."),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ],
)
async def test_card_decline_is_a_payment_awaiting_another_method_with_the_decline_code(
    gateway: StripeGateway, token: str, code: str, message: str
) -> None:
    payment = await gateway.create_payment(payment_request(payment_method_token=token))

    assert payment.status is GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
    assert payment.gateway_payment_id.startswith("pi_")
    assert payment.failure_code == code
    assert payment.failure_message == message


async def test_replayed_decline_returns_the_same_declined_intent(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    request = payment_request(payment_method_token="pm_card_visa_chargeDeclined")
    first = await gateway.create_payment(request)
    second = await gateway.create_payment(request)

    assert second == first
    assert len(double.intents) == 1


async def test_three_d_secure_card_requires_action_with_the_redirect_url(
    gateway: StripeGateway,
) -> None:
    payment = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_threeDSecure2Required")
    )

    assert payment.status is GatewayPaymentStatus.REQUIRES_ACTION
    assert payment.next_action_url is not None
    assert payment.next_action_url.startswith("https://hooks.stripe.com/3d_secure_2/")


async def test_an_off_session_charge_needing_authentication_brings_the_buyer_back_on_session(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    payment = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_threeDSecure2Required")
    )

    # Stripe declined the off-session charge with ``authentication_required``; the same
    # intent was confirmed again on-session, and the buyer goes to its 3-D Secure page.
    created, confirmed = [
        (path, headers, params)
        for method, path, headers, params in double.requests
        if method == "POST"
    ]
    assert created[0] == "/v1/payment_intents"
    assert (created[2]["off_session"], created[2]["confirm"]) == ("true", "true")
    assert confirmed[0] == f"/v1/payment_intents/{payment.gateway_payment_id}/confirm"
    assert "off_session" not in confirmed[2]
    assert confirmed[2]["return_url"] == "https://campus.example/orders/1/return"
    assert confirmed[2]["payment_method"] == "pm_card_threeDSecure2Required"
    assert confirmed[1]["idempotency-key"] == "order:1:attempt:1:on-session"
    assert len(double.intents) == 1
    assert payment.status is GatewayPaymentStatus.REQUIRES_ACTION
    assert payment.next_action_url is not None
    assert payment.next_action_url.startswith("https://hooks.stripe.com/3d_secure_2/")
    # Asking again (a retried checkout) answers the same intent.
    again = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_threeDSecure2Required")
    )
    assert again.gateway_payment_id == payment.gateway_payment_id
    assert again.status is GatewayPaymentStatus.REQUIRES_ACTION


async def test_get_payment_reads_the_intent_after_the_challenge_with_the_card(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_threeDSecure2Required")
    )
    double.settle(created.gateway_payment_id)

    payment = await gateway.get_payment(created.gateway_payment_id)

    assert payment.status is GatewayPaymentStatus.SUCCEEDED
    assert payment.next_action_url is None
    assert payment.payment_method is not None
    assert payment.payment_method.last4 == "3155"
    _, path, _, params = double.requests[-1]
    assert path == f"/v1/payment_intents/{created.gateway_payment_id}"
    assert params["expand"] == ["payment_method"]


async def test_asynchronous_card_is_processing(gateway: StripeGateway) -> None:
    payment = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_visa_processing")
    )
    assert payment.status is GatewayPaymentStatus.PROCESSING


async def test_capture_payment_is_the_payment_as_it_is(gateway: StripeGateway) -> None:
    created = await gateway.create_payment(payment_request(payment_method_token="pm_card_visa"))
    captured = await gateway.capture_payment(created.gateway_payment_id)
    assert captured.status is GatewayPaymentStatus.SUCCEEDED
    assert captured.gateway_payment_id == created.gateway_payment_id


async def test_cancel_payment_cancels_an_intent_awaiting_the_challenge(
    gateway: StripeGateway,
) -> None:
    created = await gateway.create_payment(
        payment_request(payment_method_token="pm_card_threeDSecure2Required")
    )
    cancelled = await gateway.cancel_payment(created.gateway_payment_id)
    assert cancelled.status is GatewayPaymentStatus.CANCELED


async def test_cancel_payment_expires_an_open_hosted_page(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    cancelled = await gateway.cancel_payment(created.gateway_payment_id)
    assert cancelled.status is GatewayPaymentStatus.CANCELED
    assert cancelled.next_action_url is None
    assert double.sessions[created.gateway_payment_id]["status"] == "expired"


async def test_cancel_payment_of_a_paid_hosted_page_returns_it_succeeded(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.pay_session(created.gateway_payment_id)
    payment = await gateway.cancel_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.SUCCEEDED


async def test_cancel_payment_of_a_succeeded_intent_returns_it_succeeded(
    gateway: StripeGateway,
) -> None:
    created = await gateway.create_payment(payment_request(payment_method_token="pm_card_visa"))
    payment = await gateway.cancel_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.SUCCEEDED


# --------------------------------------------------------------------------- refunds


async def test_partial_then_full_refund_with_idempotency_keys(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    paid = await gateway.create_payment(payment_request(payment_method_token="pm_card_visa"))

    first = await gateway.refund(
        paid.gateway_payment_id, amount_minor=500, currency="USD", idempotency_key="refund:1"
    )
    again = await gateway.refund(
        paid.gateway_payment_id, amount_minor=500, currency="USD", idempotency_key="refund:1"
    )
    rest = await gateway.refund(
        paid.gateway_payment_id,
        amount_minor=1499,
        currency="USD",
        idempotency_key="refund:2",
        reason="requested_by_customer",
    )

    assert first == again
    assert first.gateway_refund_id.startswith("re_")
    assert first.gateway_payment_id == paid.gateway_payment_id
    assert (first.status, first.amount_minor, first.currency) == (
        GatewayRefundStatus.SUCCEEDED,
        500,
        "USD",
    )
    assert rest.amount_minor == 1499
    assert len(double.refunds) == 2
    assert posts(double, "/v1/refunds")[-1]["reason"] == "requested_by_customer"


async def test_refund_reason_stripe_does_not_know_travels_in_metadata(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    paid = await gateway.create_payment(payment_request(payment_method_token="pm_card_visa"))
    await gateway.refund(
        paid.gateway_payment_id,
        amount_minor=100,
        currency="USD",
        idempotency_key="refund:1",
        reason="fulfilment failed",
    )
    params = posts(double, "/v1/refunds")[0]
    assert "reason" not in params
    assert params["metadata"] == {"reason": "fulfilment failed"}


async def test_refund_beyond_what_is_left_is_a_non_retryable_error(
    gateway: StripeGateway,
) -> None:
    paid = await gateway.create_payment(payment_request(payment_method_token="pm_card_visa"))
    with pytest.raises(GatewayError) as caught:
        await gateway.refund(
            paid.gateway_payment_id, amount_minor=2000, currency="USD", idempotency_key="r"
        )
    assert caught.value.retryable is False


# --------------------------------------------------------------------------- customers, cards


async def test_customer_cards_attach_list_and_detach(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    customer = await gateway.create_customer(email="buyer@example.com", name="Ada")

    card = await gateway.attach_payment_method("pm_card_mastercard", customer_ref=customer)
    listed = await gateway.list_payment_methods(customer)
    await gateway.detach_payment_method("pm_card_mastercard")
    await gateway.detach_payment_method("pm_card_mastercard")  # already gone: not an error

    assert card == CardDetails("pm_card_mastercard", "mastercard", "4444", 12, 2034)
    assert listed == [card]
    assert await gateway.list_payment_methods(customer) == []
    assert double.customers[customer]["name"] == "Ada"


async def test_detaching_an_unknown_method_is_a_non_retryable_error(
    gateway: StripeGateway,
) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway.detach_payment_method("pm_unknown")
    assert caught.value.retryable is False


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("minor", "currency", "stripe_amount"),
    [
        (1999, "USD", 1999),
        (1999, "EUR", 1999),
        (3200, "JPY", 3200),
        (12340, "KWD", 12340),
        (500, "ISK", 50000),
    ],
)
def test_stripe_amounts_are_minor_units_but_for_isk(
    minor: int, currency: str, stripe_amount: int
) -> None:
    assert to_stripe_amount(minor, currency) == stripe_amount
    assert from_stripe_amount(stripe_amount, currency) == minor


def test_a_fractional_isk_amount_from_stripe_is_refused() -> None:
    with pytest.raises(GatewayError):
        from_stripe_amount(50050, "ISK")


@pytest.mark.parametrize(("minor", "currency"), [(3200, "JPY"), (1999, "EUR"), (12340, "KWD")])
async def test_amounts_reach_stripe_as_integers_in_the_currency_unit(
    double: StripeDouble, gateway: StripeGateway, minor: int, currency: str
) -> None:
    payment = await gateway.create_payment(
        payment_request(
            amount_minor=minor,
            currency=currency,
            idempotency_key=currency,
            payment_method_token="pm_card_visa",
        )
    )
    params = posts(double, "/v1/payment_intents")[0]
    assert (params["amount"], params["currency"]) == (str(minor), currency.lower())
    assert (payment.amount_minor, payment.currency) == (minor, currency)


async def test_isk_reaches_stripe_as_a_two_decimal_amount(
    double: StripeDouble, gateway: StripeGateway
) -> None:
    paid = await gateway.create_payment(
        payment_request(amount_minor=500, currency="ISK", payment_method_token="pm_card_visa")
    )
    hosted = await gateway.create_payment(
        payment_request(amount_minor=500, currency="ISK", idempotency_key="hosted")
    )
    assert posts(double, "/v1/payment_intents")[0]["amount"] == "50000"
    line = posts(double, "/v1/checkout/sessions")[0]["line_items"][0]
    assert line["price_data"]["unit_amount"] == "50000"
    assert (paid.amount_minor, hosted.amount_minor) == (500, 500)


# --------------------------------------------------------------------------- errors


async def test_wrong_api_key_is_a_non_retryable_error(double: StripeDouble) -> None:
    gateway = make_gateway(double, api_key="sk_test_wrong")
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.create_payment(payment_request())
    finally:
        await gateway.aclose()
    assert caught.value.retryable is False
    assert "401" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_rate_limits_are_retryable(
    double: StripeDouble, gateway: StripeGateway, status: int
) -> None:
    double.fail_next(status)
    with pytest.raises(GatewayError) as caught:
        await gateway.get_payment("pi_whatever")
    assert caught.value.retryable is True


async def test_a_timeout_is_retryable(double: StripeDouble) -> None:
    gateway = make_gateway(double, timeout=0.2)
    double.hang_next()
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.create_payment(payment_request())
    finally:
        double.release()
        await gateway.aclose()
    assert caught.value.retryable is True


async def test_an_unreachable_stripe_is_retryable() -> None:
    gateway = StripeGateway(
        api_key=API_KEY,
        webhook_secret="whsec_test",
        api_base="http://127.0.0.1:9",
        max_network_retries=0,
    )
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.get_payment("pi_1")
    finally:
        await gateway.aclose()
    assert caught.value.retryable is True


async def test_an_unknown_payment_is_a_non_retryable_error(gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway.get_payment("pi_unknown")
    assert caught.value.retryable is False


async def test_the_deployment_settings_build_the_stripe_adapter(
    double: StripeDouble, settings: Settings
) -> None:
    configured = settings.replace(
        commerce_gateway="stripe",
        commerce_stripe_api_key=SecretStr(API_KEY),
        commerce_stripe_webhook_secret=SecretStr("whsec_test"),
        commerce_stripe_api_base=double.url,
    )
    gateway = build_gateway(configured)
    assert isinstance(gateway, StripeGateway)
    try:
        payment = await gateway.create_payment(payment_request())
    finally:
        await gateway.aclose()
    assert payment.gateway_payment_id in double.sessions
