"""The sandbox gateway's hosted pages: the payment page and the 3-D Secure challenge.

``GET|POST /commerce/sandbox/pay/{paymentId}`` and ``GET|POST /commerce/sandbox/3ds/{paymentId}``
play the provider's side of a checkout: no sign-in (the buyer's browser arrives here from
``nextActionUrl``), plain HTML forms without JavaScript, on Campus's own origin.

* Each form carries a token bound to its payment and page (an HMAC under the sandbox's secret),
  checked on submission: a form posted from anywhere else is refused (403) and changes nothing.
* The card number, expiry and CVC are read once, checked against the test-card rules and
  forgotten: only the brand, the last four digits and the expiry are kept; nothing of the card
  is logged (the log processors redact card fields anyway).
* Every value shown is escaped (``html.escape``); the answers carry a strict CSP
  (``default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors
  'none'; base-uri 'none'``), ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``,
  besides the security headers every Campus answer has.
* After a submission the buyer is redirected (303) to the 3-D Secure page, or back to the
  order's return URL with ``payment_intent`` and ``redirect_status`` as Stripe appends them; a
  decline shows the page again with the reason, ready for another card.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from campus.commerce.gateways import gateway_of
from campus.commerce.gateways.port import GatewayPaymentStatus
from campus.commerce.gateways.sandbox import (
    CHALLENGE_PATH,
    NEXT_CHALLENGE,
    NEXT_CONFIRM,
    PAY_PATH,
    Confirmation,
    IntentView,
    SandboxGateway,
    check_form_token,
    form_token,
)
from campus.kernel.http import api_router
from campus.kernel.money import minor_digits

router = api_router(prefix="/commerce/sandbox", tags=["payments"], include_in_schema=False)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}input,button{font:inherit;padding:.4rem;margin:.3rem 0}"
    "input{width:100%;box-sizing:border-box}.error{color:#a00}.muted{color:#555}"
    ".row{display:flex;gap:.5rem}"
)
PaymentId = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^pi_[A-Za-z0-9]+$")]
PAY = "pay"
CHALLENGE = "3ds"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)} · Campus sandbox'
        f"</title><style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}"
        '<p class="muted">Campus sandbox gateway: test cards only, no money moves.</p>'
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _amount(intent: IntentView) -> str:
    digits = minor_digits(intent.currency)
    value = Decimal(intent.amount_minor).scaleb(-digits)
    return f"{value:.{digits}f} {intent.currency}"


def _sandbox(request: Request) -> SandboxGateway | None:
    gateway = gateway_of(request)
    return gateway if isinstance(gateway, SandboxGateway) else None


def _not_found() -> HTMLResponse:
    return _page("Payment not found", "<p>This payment does not exist.</p>", 404)


def _summary(intent: IntentView) -> str:
    return f"<p>{escape(intent.description)}</p><p><strong>{escape(_amount(intent))}</strong></p>"


def _pay_form(gateway: SandboxGateway, intent: IntentView, error: str | None = None) -> str:
    action = PAY_PATH.format(payment_id=intent.id)
    token = form_token(gateway.secret, intent.id, PAY)
    shown = f'<p class="error">{escape(error)}</p>' if error else ""
    if intent.status == GatewayPaymentStatus.REQUIRES_ACTION and intent.next_action == NEXT_CONFIRM:
        card = f"{(intent.card_brand or 'card').title()} ending in {intent.card_last4 or '????'}"
        return (
            f'{shown}<form method="post" action="{escape(action)}">'
            f'<input type="hidden" name="formToken" value="{escape(token)}">'
            f"<p>Pay with your saved {escape(card)}.</p>"
            '<button type="submit" name="useSaved" value="1">Pay</button></form>'
        )
    return (
        f'{shown}<form method="post" action="{escape(action)}" autocomplete="off">'
        f'<input type="hidden" name="formToken" value="{escape(token)}">'
        '<label>Card number<input name="cardNumber" inputmode="numeric" required '
        'maxlength="23" placeholder="4242 4242 4242 4242"></label>'
        '<div class="row"><label>Month<input name="expMonth" inputmode="numeric" required '
        'maxlength="2" placeholder="12"></label><label>Year<input name="expYear" '
        'inputmode="numeric" required maxlength="4" placeholder="2030"></label>'
        '<label>CVC<input name="cvc" inputmode="numeric" required maxlength="4" '
        'placeholder="123"></label></div>'
        f'<button type="submit">Pay {escape(_amount(intent))}</button></form>'
    )


def _back_to_shop(intent: IntentView, status: str) -> RedirectResponse:
    separator = "&" if "?" in intent.return_url else "?"
    query = urlencode({"payment_intent": intent.id, "redirect_status": status})
    return RedirectResponse(f"{intent.return_url}{separator}{query}", status_code=303)


def _after(gateway: SandboxGateway, done: Confirmation) -> Response:
    intent = done.intent
    if intent.status == GatewayPaymentStatus.REQUIRES_ACTION and intent.next_action == (
        NEXT_CHALLENGE
    ):
        return RedirectResponse(CHALLENGE_PATH.format(payment_id=intent.id), status_code=303)
    if intent.status == GatewayPaymentStatus.SUCCEEDED:
        return _back_to_shop(intent, "succeeded")
    if intent.status == GatewayPaymentStatus.PROCESSING:
        return _back_to_shop(intent, "processing")
    if intent.status == GatewayPaymentStatus.CANCELED:
        return _page("Payment canceled", "<p>This payment was canceled.</p>", 409)
    message = done.error_message or intent.failure_message or "The card was declined."
    return _page("Pay", _summary(intent) + _pay_form(gateway, intent, message), 402)


def _settled(intent: IntentView) -> HTMLResponse | None:
    """The page for an intent that no longer waits for the buyer."""
    if intent.status == GatewayPaymentStatus.SUCCEEDED:
        return _page("Paid", _summary(intent) + "<p>This payment has succeeded.</p>")
    if intent.status == GatewayPaymentStatus.PROCESSING:
        return _page("Processing", _summary(intent) + "<p>This payment is processing.</p>")
    if intent.status == GatewayPaymentStatus.CANCELED:
        return _page("Payment canceled", "<p>This payment was canceled.</p>", 409)
    return None


@router.get("/pay/{payment_id}", response_class=HTMLResponse)
async def payment_page(payment_id: PaymentId, request: Request) -> Response:
    gateway = _sandbox(request)
    intent = await gateway.intent(payment_id) if gateway is not None else None
    if gateway is None or intent is None:
        return _not_found()
    if intent.status == GatewayPaymentStatus.REQUIRES_ACTION and intent.next_action == (
        NEXT_CHALLENGE
    ):
        return RedirectResponse(CHALLENGE_PATH.format(payment_id=intent.id), status_code=303)
    settled = _settled(intent)
    if settled is not None:
        return settled
    error = intent.failure_message if intent.failure_code else None
    return _page("Pay", _summary(intent) + _pay_form(gateway, intent, error))


@router.post("/pay/{payment_id}", response_class=HTMLResponse)
async def submit_payment(
    payment_id: PaymentId,
    request: Request,
    form_token_: Annotated[str, Form(alias="formToken", max_length=128)],
    card_number: Annotated[str, Form(alias="cardNumber", max_length=30)] = "",
    exp_month: Annotated[str, Form(alias="expMonth", max_length=4)] = "",
    exp_year: Annotated[str, Form(alias="expYear", max_length=4)] = "",
    cvc: Annotated[str, Form(max_length=4)] = "",
    use_saved: Annotated[str, Form(alias="useSaved", max_length=1)] = "",
) -> Response:
    gateway = _sandbox(request)
    intent = await gateway.intent(payment_id) if gateway is not None else None
    if gateway is None or intent is None:
        return _not_found()
    if not check_form_token(gateway.secret, intent.id, PAY, form_token_):
        return _page("Refused", "<p>This form did not come from this payment page.</p>", 403)
    if use_saved:
        return _after(gateway, await gateway.confirm_saved(intent.id))
    settled = _settled(intent)
    if settled is not None:
        return settled
    month = int(exp_month) if exp_month.isdigit() else 0
    year = int(exp_year) if exp_year.isdigit() else 0
    if 0 < year < 100:
        year += 2000
    done = await gateway.confirm_card(
        intent.id, number=card_number, exp_month=month, exp_year=year, cvc=cvc
    )
    return _after(gateway, done)


def _challenge_page(gateway: SandboxGateway, intent: IntentView) -> HTMLResponse:
    action = CHALLENGE_PATH.format(payment_id=intent.id)
    token = form_token(gateway.secret, intent.id, CHALLENGE)
    card = f"{(intent.card_brand or 'card').title()} ending in {intent.card_last4 or '????'}"
    body = (
        _summary(intent)
        + f"<p>Your bank asks you to confirm this payment with your {escape(card)}.</p>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="formToken" value="{escape(token)}">'
        '<button type="submit" name="outcome" value="complete">Complete authentication</button> '
        '<button type="submit" name="outcome" value="fail">Fail authentication</button></form>'
    )
    return _page("3-D Secure", body)


@router.get("/3ds/{payment_id}", response_class=HTMLResponse)
async def challenge_page(payment_id: PaymentId, request: Request) -> Response:
    gateway = _sandbox(request)
    intent = await gateway.intent(payment_id) if gateway is not None else None
    if gateway is None or intent is None:
        return _not_found()
    if intent.status == GatewayPaymentStatus.REQUIRES_ACTION and intent.next_action == (
        NEXT_CHALLENGE
    ):
        return _challenge_page(gateway, intent)
    return _settled(intent) or RedirectResponse(
        PAY_PATH.format(payment_id=intent.id), status_code=303
    )


@router.post("/3ds/{payment_id}", response_class=HTMLResponse)
async def submit_challenge(
    payment_id: PaymentId,
    request: Request,
    form_token_: Annotated[str, Form(alias="formToken", max_length=128)],
    outcome: Annotated[str, Form(max_length=10, pattern="^(complete|fail)$")],
) -> Response:
    gateway = _sandbox(request)
    intent = await gateway.intent(payment_id) if gateway is not None else None
    if gateway is None or intent is None:
        return _not_found()
    if not check_form_token(gateway.secret, intent.id, CHALLENGE, form_token_):
        return _page("Refused", "<p>This form did not come from this payment page.</p>", 403)
    done = await gateway.complete_challenge(intent.id, succeed=outcome == "complete")
    return _after(gateway, done)
