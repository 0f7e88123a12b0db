"""The PayPal adapter against the local PayPal double over real HTTP: the OAuth token, orders,
approval, capture, refunds, saved wallets, money as decimal strings and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.paypal import PayPalGateway, from_paypal_value, to_paypal_value
from campus.commerce.gateways.port import (
    GatewayError,
    GatewayPaymentStatus,
    GatewayRefundStatus,
    PaymentRequest,
)
from campus.config import Settings
from campus.kernel.clock import Clock

from .doubles.paypal_double import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID, PayPalDouble
from .doubles.server import serve


@pytest.fixture
async def double() -> AsyncIterator[PayPalDouble]:
    fake = PayPalDouble()
    async with serve(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


def make_gateway(
    double: PayPalDouble, *, secret: str = CLIENT_SECRET, timeout: float = 5.0
) -> PayPalGateway:
    return PayPalGateway(
        client_id=CLIENT_ID,
        client_secret=secret,
        webhook_id=WEBHOOK_ID,
        api_base=double.url,
        timeout_seconds=timeout,
    )


@pytest.fixture
async def gateway(double: PayPalDouble) -> AsyncIterator[PayPalGateway]:
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


def calls(double: PayPalDouble, method: str, path_part: str) -> list[object]:
    return [body for m, path, _, body in double.requests if m == method and path_part in path]


async def paid_order(double: PayPalDouble, gateway: PayPalGateway, **overrides: object) -> str:
    created = await gateway.create_payment(payment_request(**overrides))
    double.approve(created.gateway_payment_id)
    captured = await gateway.capture_payment(created.gateway_payment_id)
    assert captured.status is GatewayPaymentStatus.SUCCEEDED
    return created.gateway_payment_id


# --------------------------------------------------------------------------- the token


async def test_one_client_credentials_token_serves_many_calls(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    await gateway.get_payment(created.gateway_payment_id)
    await gateway.get_payment(created.gateway_payment_id)

    assert double.tokens_issued == 1
    token_calls = calls(double, "POST", "/v1/oauth2/token")
    assert token_calls == [{"grant_type": ["client_credentials"]}]


async def test_the_token_is_kept_until_a_minute_before_it_expires_then_renewed(
    double: PayPalDouble, gateway: PayPalGateway, frozen_clock: Clock
) -> None:
    created = await gateway.create_payment(payment_request())
    frozen_clock.advance(seconds=double.token_lifetime - 61)
    await gateway.get_payment(created.gateway_payment_id)
    assert double.tokens_issued == 1
    frozen_clock.advance(seconds=2)
    await gateway.get_payment(created.gateway_payment_id)
    assert double.tokens_issued == 2


async def test_a_token_paypal_revoked_is_renewed_and_the_call_succeeds(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.revoke_tokens()

    payment = await gateway.get_payment(created.gateway_payment_id)

    assert payment.gateway_payment_id == created.gateway_payment_id
    assert double.tokens_issued == 2


async def test_wrong_client_secret_is_a_non_retryable_error(double: PayPalDouble) -> None:
    gateway = make_gateway(double, secret="wrong")
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.create_payment(payment_request())
    finally:
        await gateway.aclose()
    assert caught.value.retryable is False
    assert "invalid_client" in str(caught.value)


# --------------------------------------------------------------------------- orders


async def test_create_payment_creates_a_capture_order_awaiting_the_buyer(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    payment = await gateway.create_payment(payment_request())

    assert payment.gateway == "paypal"
    assert payment.status is GatewayPaymentStatus.REQUIRES_ACTION
    assert payment.next_action_url == (
        f"https://www.sandbox.paypal.com/checkoutnow?token={payment.gateway_payment_id}"
    )
    assert (payment.amount_minor, payment.currency) == (1999, "USD")
    _, _, headers, body = next(
        request for request in double.requests if request[1] == "/v2/checkout/orders"
    )
    assert headers["paypal-request-id"] == "order:1:attempt:1"
    assert headers["authorization"].startswith("Bearer A21AA")
    assert headers["prefer"] == "return=representation"
    assert body["intent"] == "CAPTURE"
    unit = body["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "USD", "value": "19.99"}
    assert unit["custom_id"] == "0192f1a0-0000-7000-8000-000000000001"
    context = body["payment_source"]["paypal"]["experience_context"]
    assert context["return_url"] == "https://campus.example/orders/1/return"
    assert context["cancel_url"] == "https://campus.example/orders/1"


async def test_same_request_id_returns_the_same_order(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    first = await gateway.create_payment(payment_request())
    second = await gateway.create_payment(payment_request())

    assert second.gateway_payment_id == first.gateway_payment_id
    assert len(double.orders) == 1


async def test_same_request_id_with_another_amount_is_a_non_retryable_error(
    gateway: PayPalGateway,
) -> None:
    await gateway.create_payment(payment_request())
    with pytest.raises(GatewayError) as caught:
        await gateway.create_payment(payment_request(amount_minor=2999))
    assert caught.value.retryable is False
    assert "PAYPAL_REQUEST_ID_PREVIOUSLY_USED" in str(caught.value)


async def test_a_long_idempotency_key_becomes_a_request_id_paypal_accepts(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    key = "refund:" + "k" * 200
    first = await gateway.create_payment(payment_request(idempotency_key=key))
    second = await gateway.create_payment(payment_request(idempotency_key=key))
    assert second.gateway_payment_id == first.gateway_payment_id
    sent = {h["paypal-request-id"] for m, p, h, _ in double.requests if p == "/v2/checkout/orders"}
    assert len(sent) == 1
    assert len(sent.pop()) <= 108


async def test_approved_order_is_processing_until_captured(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.approve(created.gateway_payment_id)

    approved = await gateway.get_payment(created.gateway_payment_id)
    captured = await gateway.capture_payment(created.gateway_payment_id)
    again = await gateway.capture_payment(created.gateway_payment_id)

    assert approved.status is GatewayPaymentStatus.PROCESSING
    assert approved.next_action_url is None
    assert captured.status is GatewayPaymentStatus.SUCCEEDED
    assert (captured.amount_minor, captured.currency) == (1999, "USD")
    assert again == captured
    assert len(double.captures) == 1


async def test_capture_before_approval_returns_the_order_awaiting_the_buyer(
    gateway: PayPalGateway,
) -> None:
    created = await gateway.create_payment(payment_request())
    payment = await gateway.capture_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.REQUIRES_ACTION
    assert payment.next_action_url == created.next_action_url


async def test_declined_funding_sends_the_buyer_back_to_choose_another(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.approve(created.gateway_payment_id, funding="declined")

    payment = await gateway.capture_payment(created.gateway_payment_id)

    assert payment.status is GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
    assert payment.failure_code == "instrument_declined"
    assert payment.failure_message is not None
    assert payment.next_action_url == created.next_action_url


async def test_after_a_decline_the_buyer_approves_again_and_the_capture_succeeds(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.approve(created.gateway_payment_id, funding="declined")
    declined = await gateway.capture_payment(created.gateway_payment_id)
    double.approve(created.gateway_payment_id)

    payment = await gateway.capture_payment(created.gateway_payment_id)

    assert declined.failure_code == "instrument_declined"
    assert payment.status is GatewayPaymentStatus.SUCCEEDED
    assert payment.failure_code is None


async def test_a_capture_refusal_that_is_not_the_buyers_is_a_non_retryable_error(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    double.approve(created.gateway_payment_id, funding="payee_blocked")
    with pytest.raises(GatewayError) as caught:
        await gateway.capture_payment(created.gateway_payment_id)
    assert caught.value.retryable is False
    assert "PAYEE_BLOCKED_TRANSACTION" in str(caught.value)


async def test_pending_capture_is_processing(double: PayPalDouble, gateway: PayPalGateway) -> None:
    created = await gateway.create_payment(payment_request())
    double.approve(created.gateway_payment_id, funding="pending")
    payment = await gateway.capture_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.PROCESSING


async def test_cancel_payment_reports_an_uncaptured_order_cancelled(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request())
    cancelled = await gateway.cancel_payment(created.gateway_payment_id)
    assert cancelled.status is GatewayPaymentStatus.CANCELED
    assert cancelled.next_action_url is None


async def test_cancel_payment_of_a_captured_order_reports_it_succeeded(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    order_id = await paid_order(double, gateway)
    payment = await gateway.cancel_payment(order_id)
    assert payment.status is GatewayPaymentStatus.SUCCEEDED


async def test_voided_order_is_cancelled(double: PayPalDouble, gateway: PayPalGateway) -> None:
    created = await gateway.create_payment(payment_request())
    double.void(created.gateway_payment_id)
    payment = await gateway.get_payment(created.gateway_payment_id)
    assert payment.status is GatewayPaymentStatus.CANCELED


# --------------------------------------------------------------------------- refunds


async def test_partial_then_full_refund_of_the_capture(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    order_id = await paid_order(double, gateway)

    first = await gateway.refund(
        order_id, amount_minor=500, currency="USD", idempotency_key="refund:1", reason="asked"
    )
    again = await gateway.refund(
        order_id, amount_minor=500, currency="USD", idempotency_key="refund:1", reason="asked"
    )
    rest = await gateway.refund(
        order_id, amount_minor=1499, currency="USD", idempotency_key="refund:2"
    )

    assert first == again
    assert (first.status, first.amount_minor, first.currency) == (
        GatewayRefundStatus.SUCCEEDED,
        500,
        "USD",
    )
    assert first.gateway_payment_id == order_id
    assert rest.amount_minor == 1499
    assert len(double.refunds) == 2
    refund_calls = [
        (headers, body) for m, p, headers, body in double.requests if p.endswith("/refund")
    ]
    assert refund_calls[0][0]["paypal-request-id"] == "refund:1"
    assert refund_calls[0][1] == {
        "amount": {"currency_code": "USD", "value": "5.00"},
        "note_to_payer": "asked",
    }
    assert (await gateway.get_payment(order_id)).status is GatewayPaymentStatus.SUCCEEDED


async def test_refund_beyond_what_is_left_is_a_non_retryable_error(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    order_id = await paid_order(double, gateway)
    with pytest.raises(GatewayError) as caught:
        await gateway.refund(order_id, amount_minor=2000, currency="USD", idempotency_key="r")
    assert caught.value.retryable is False
    assert "REFUND_AMOUNT_EXCEEDED" in str(caught.value)


async def test_refund_of_an_uncaptured_order_is_a_non_retryable_error(
    gateway: PayPalGateway,
) -> None:
    created = await gateway.create_payment(payment_request())
    with pytest.raises(GatewayError) as caught:
        await gateway.refund(
            created.gateway_payment_id, amount_minor=100, currency="USD", idempotency_key="r"
        )
    assert caught.value.retryable is False


async def test_refund_in_another_currency_is_refused_before_paypal(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    order_id = await paid_order(double, gateway)
    with pytest.raises(GatewayError) as caught:
        await gateway.refund(order_id, amount_minor=100, currency="EUR", idempotency_key="r")
    assert caught.value.retryable is False
    assert not double.refunds


# --------------------------------------------------------------------------- saved wallets


async def test_saving_the_wallet_reports_its_vault_token_after_capture(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(payment_request(save_payment_method=True))
    double.approve(created.gateway_payment_id)

    payment = await gateway.capture_payment(created.gateway_payment_id)

    assert payment.payment_method is not None
    assert payment.payment_method.brand == "paypal"
    assert payment.payment_method.token in double.vault
    assert payment.customer_ref is not None
    body = calls(double, "POST", "/v2/checkout/orders")[0]
    assert isinstance(body, dict)
    vault = body["payment_source"]["paypal"]["attributes"]["vault"]
    assert vault["store_in_vault"] == "ON_SUCCESS"


async def test_a_saved_wallet_pays_at_once(double: PayPalDouble, gateway: PayPalGateway) -> None:
    token = double.vault_token()
    payment = await gateway.create_payment(payment_request(payment_method_token=token))
    assert payment.status is GatewayPaymentStatus.SUCCEEDED
    assert payment.next_action_url is None


async def test_detach_deletes_the_vault_token_and_tolerates_a_second_time(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    token = double.vault_token()
    await gateway.detach_payment_method(token)
    await gateway.detach_payment_method(token)
    assert token not in double.vault


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("minor", "currency", "value"),
    [
        (1999, "USD", "19.99"),
        (1900, "EUR", "19.00"),
        (5, "EUR", "0.05"),
        (5000, "JPY", "5000"),
        (1234, "KWD", "1.234"),
        (150000, "HUF", "1500"),
        (99900, "TWD", "999"),
        (123456789012, "USD", "1234567890.12"),
    ],
)
def test_minor_units_become_paypal_decimal_strings_and_back(
    minor: int, currency: str, value: str
) -> None:
    assert to_paypal_value(minor, currency) == value
    assert from_paypal_value(value, currency) == minor


def test_huf_with_a_fraction_cannot_be_sent() -> None:
    with pytest.raises(GatewayError) as caught:
        to_paypal_value(150050, "HUF")
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("value", "currency"),
    [("1.5", "JPY"), ("1.2345", "KWD"), ("1.001", "USD"), ("1e2", "USD"), ("-1.00", "USD"),
     ("", "USD"), (19.99, "USD"), (Decimal("19.99"), "USD")],
)  # fmt: skip
def test_paypal_values_campus_cannot_hold_exactly_are_refused(value: object, currency: str) -> None:
    with pytest.raises(ValueError, match=r"PayPal amount|decimal places"):
        from_paypal_value(value, currency)


@pytest.mark.parametrize(
    ("minor", "currency", "value"),
    [(5000, "JPY", "5000"), (3900, "EUR", "39.00"), (150000, "HUF", "1500")],
)
async def test_amounts_reach_paypal_as_its_decimal_strings(
    double: PayPalDouble, gateway: PayPalGateway, minor: int, currency: str, value: str
) -> None:
    payment = await gateway.create_payment(
        payment_request(amount_minor=minor, currency=currency, idempotency_key=currency)
    )
    body = calls(double, "POST", "/v2/checkout/orders")[0]
    assert isinstance(body, dict)
    assert body["purchase_units"][0]["amount"] == {"currency_code": currency, "value": value}
    assert (payment.amount_minor, payment.currency) == (minor, currency)


async def test_a_currency_paypal_does_not_take_is_a_non_retryable_error(
    gateway: PayPalGateway,
) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway.create_payment(payment_request(amount_minor=12340, currency="KWD"))
    assert caught.value.retryable is False
    assert "CURRENCY_NOT_SUPPORTED" in str(caught.value)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_server_errors_and_rate_limits_are_retryable(
    double: PayPalDouble, gateway: PayPalGateway, status: int
) -> None:
    created = await gateway.create_payment(payment_request())
    double.fail_next(status)
    with pytest.raises(GatewayError) as caught:
        await gateway.get_payment(created.gateway_payment_id)
    assert caught.value.retryable is True


async def test_a_token_endpoint_outage_is_retryable(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    double.fail_next(503)
    with pytest.raises(GatewayError) as caught:
        await gateway.create_payment(payment_request())
    assert caught.value.retryable is True


async def test_a_timeout_is_retryable(double: PayPalDouble) -> None:
    gateway = make_gateway(double, timeout=0.2)
    try:
        created = await gateway.create_payment(payment_request())
        double.hang_next()
        with pytest.raises(GatewayError) as caught:
            await gateway.get_payment(created.gateway_payment_id)
    finally:
        double.release()
        await gateway.aclose()
    assert caught.value.retryable is True


async def test_an_unreachable_paypal_is_retryable() -> None:
    gateway = PayPalGateway(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_id=WEBHOOK_ID,
        api_base="http://127.0.0.1:9",
    )
    try:
        with pytest.raises(GatewayError) as caught:
            await gateway.get_payment("5O190127TN364715T")
    finally:
        await gateway.aclose()
    assert caught.value.retryable is True


async def test_an_unknown_order_is_a_non_retryable_error(gateway: PayPalGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway.get_payment("5O190127TN364715T")
    assert caught.value.retryable is False


async def test_an_id_that_is_not_a_paypal_id_is_refused_before_any_request(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    with pytest.raises(GatewayError):
        await gateway.get_payment("../v1/oauth2/token")
    assert double.requests == []


async def test_the_deployment_settings_build_the_paypal_adapter(
    double: PayPalDouble, settings: Settings
) -> None:
    configured = settings.replace(
        commerce_gateway="paypal",
        commerce_paypal_client_id=CLIENT_ID,
        commerce_paypal_client_secret=SecretStr(CLIENT_SECRET),
        commerce_paypal_webhook_id=WEBHOOK_ID,
        commerce_paypal_api_base=double.url,
    )
    gateway = build_gateway(configured)
    assert isinstance(gateway, PayPalGateway)
    try:
        payment = await gateway.create_payment(payment_request())
    finally:
        await gateway.aclose()
    assert payment.gateway_payment_id in double.orders
