"""Commerce errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "The course was not found."


class CartNotFound(NotFound):
    code = "cart_not_found"
    message = "The cart was not found."


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"
    message = "The course is not in the cart."


class CourseAlreadyOwned(Conflict):
    code = "course_already_owned"
    message = "You already have access to this course."


class CourseAlreadyInCart(Conflict):
    code = "course_already_in_cart"
    message = "The course is already in the cart."


class CurrencyMismatch(Conflict):
    code = "currency_mismatch"
    message = "A cart holds courses of one currency; check out this cart first."


class CourseNotPurchasable(Conflict):
    code = "course_not_purchasable"
    message = "The course is free or not published; it cannot be bought."


class TierNotAvailable(ValidationFailed):
    code = "tier_not_available"
    message = "The course has no such pricing tier."


class CartEmpty(Conflict):
    code = "cart_empty"
    message = "The cart is empty."


class CartAlreadyCheckedOut(Conflict):
    code = "cart_already_checked_out"
    message = "The cart has already been checked out."


class CartChanged(Conflict):
    code = "cart_changed"
    message = "The cart changed while it was being checked out; review it and try again."


class CouponNotFound(NotFound):
    code = "coupon_not_found"
    message = "The coupon was not found."


class CouponInvalid(Conflict):
    """A coupon that does not apply; ``details.reason`` says why."""

    code = "coupon_invalid"
    message = "The coupon cannot be applied to this order."


class CouponExhausted(Conflict):
    code = "coupon_exhausted"
    message = "The coupon has no uses left."


class CouponCodeTaken(Conflict):
    code = "coupon_code_taken"
    message = "Another coupon has this code."


class NotCourseInstructor(Forbidden):
    code = "not_course_instructor"
    message = "Instructors may only make coupons for their own courses."


class TaxRateNotFound(NotFound):
    code = "tax_rate_not_found"
    message = "The tax rate was not found."


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "The order was not found."


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"
    message = "Only unpaid orders can be cancelled."


class PaymentUnavailable(ServiceUnavailable):
    """The gateway could not be reached: nothing was charged or kept. A 503, so an
    idempotency key is released and the same request may simply be retried."""

    code = "payment_unavailable"
    message = "The payment could not be started; try again later."


class PayoutNotFound(NotFound):
    code = "payout_not_found"
    message = "The payout was not found."


class PayoutPeriodOpen(Conflict):
    code = "payout_period_open"
    message = "The period has not ended yet; its payouts are computed once it has."


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    message = "The invoice was not found (or the order is not paid yet)."


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"
    message = "The saved payment method was not found."


class OrderNotRefundable(Conflict):
    code = "order_not_refundable"
    message = "Only a paid order can be refunded."


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
    message = "The refund would return more than what is left of the payment."


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"
    message = "The refund window of this order has closed."


class RefundProgressTooHigh(Conflict):
    code = "refund_progress_too_high"
    message = "A course of this order is too far along to be refunded."


class RefundUnavailable(Conflict):
    code = "refund_unavailable"
    message = "The payment provider could not take the refund; try again later."


class RefundDeclined(Conflict):
    code = "refund_declined"
    message = "The payment provider declined the refund."


class WebhookInvalid(BadRequest):
    code = "invalid_webhook"
    message = "The webhook delivery does not verify (signature, timestamp or shape)."


class UnknownGateway(NotFound):
    code = "unknown_gateway"
    message = "This deployment takes no webhooks for that gateway."
