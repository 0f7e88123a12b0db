"""Billing errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import Conflict, NotFound, ValidationFailed


class PlanNotFound(NotFound):
    code = "plan_not_found"
    message = "The plan was not found."


class PlanCodeTaken(Conflict):
    code = "plan_code_taken"
    message = "Another plan has this code."


class PlanRetired(Conflict):
    code = "plan_retired"
    message = "The plan is retired: it takes no new subscribers."


class CycleNotOffered(ValidationFailed):
    code = "cycle_not_offered"
    message = "The plan has no price for this billing cycle."


class TrialAlreadyUsed(Conflict):
    code = "trial_already_used"
    message = "You have already had a trial of this plan."


class AlreadySubscribed(Conflict):
    code = "already_subscribed"
    message = "You already have a live subscription to this plan."


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    message = "The subscription was not found."


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"
    message = "The saved payment method was not found."


class PaymentDeclined(Conflict):
    code = "payment_declined"
    message = "The payment was declined; nothing was subscribed."


class SubscriptionNotChangeable(Conflict):
    code = "subscription_not_changeable"
    message = "The subscription cannot be changed in its current status."


class CourseNotInPlan(Conflict):
    code = "course_not_in_plan"
    message = "No live subscription of yours opens this course."


class SeatsExhausted(Conflict):
    code = "seats_exhausted"
    message = "Every seat of the subscription is assigned."


class SeatsBelowAssigned(Conflict):
    code = "seats_below_assigned"
    message = "The subscription cannot have fewer seats than are assigned."


class NotAnOrganizationMember(Conflict):
    code = "not_an_organization_member"
    message = "The user is not a member of the organization."


class PromoCodeNotFound(NotFound):
    code = "coupon_not_found"
    message = "No promo code has this code."


class CouponTermsNotFound(NotFound):
    code = "coupon_terms_not_found"
    message = "This promo code has no terms of its own: it discounts the default periods."
