"""Subscriptions: subscribe (Idempotency-Key required), my subscriptions, cancel, resume,
settings, plan changes, charges; opening a course of my plan."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from campus.billing.endpoints.errors import errors
from campus.billing.schemas.subscriptions import (
    CancelRequest,
    MySubscriptionOut,
    PlanChangeRequest,
    SubscribeRequest,
    SubscriptionChargeOut,
    SubscriptionEnrollmentOut,
    SubscriptionOut,
    SubscriptionUpdate,
)
from campus.billing.service import access, hosted, subscriptions
from campus.kernel import idempotency
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.clock import utcnow
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/billing/subscriptions", tags=["subscriptions"])
me_router = api_router(prefix="/me", tags=["subscriptions"])
courses_router = api_router(prefix="/billing/courses", tags=["subscriptions"])

#: How long a subscription request's Idempotency-Key answers the same response again.
IDEMPOTENCY_TTL = timedelta(hours=24)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required: a unique value per intended subscription. Replaying it with the "
        "same body answers the first response again; with another body it is a 422.",
    ),
]


@router.post(
    "",
    status_code=201,
    summary="Subscribe to a plan",
    description=(
        "A plan with trial days starts `trialing` without a charge (one trial per user and "
        "plan: 409 `trial_already_used`; send `trial: false` to pay at once). Otherwise the "
        "first period is charged to the saved payment method now (409 `payment_declined`). "
        "The price is the plan's: the body names none. 400 `idempotency_key_required`; 404 "
        "`plan_not_found`, `payment_method_not_found`; 409 `plan_retired`, "
        "`already_subscribed`, `coupon_invalid`, `coupon_exhausted`; 404 `coupon_not_found`; 422 "
        "`cycle_not_offered`, `idempotency_key_reused`."
    ),
    response_model=SubscriptionOut,
    responses=errors(400, 401, 404, 409, 422, 503),
)
async def subscribe(
    body: SubscribeRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = idempotency.require_key(idempotency_key)
    settings = request.app.state.settings

    async def start() -> SubscriptionOut:
        return SubscriptionOut.of(
            await subscriptions.subscribe(
                session,
                principal,
                settings,
                plan_id=body.plan_id,
                cycle=body.cycle,
                payment_method_id=body.payment_method_id,
                with_trial=body.trial,
                quantity=body.seats,
                organization_id=body.organization_id,
                coupon_code=body.coupon_code,
                checkout=body.checkout,
            )
        )

    return await idempotency.run(
        request,
        session,
        scope=idempotency.scope_of(principal, request),
        key=key,
        body=body.model_dump(mode="json"),
        ttl=IDEMPOTENCY_TTL,
        status_code=201,
        action=start,
    )


@router.get(
    "",
    summary="My subscriptions, newest first",
    response_model=Page[SubscriptionOut],
    responses=errors(401, 422),
)
async def list_my_subscriptions(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[SubscriptionOut]:
    found, total = await subscriptions.list_mine(
        session, principal, offset=params.offset, limit=params.limit
    )
    return Page.build([SubscriptionOut.of(s) for s in found], total, params)


@router.get(
    "/{subscription_id}",
    summary="One of my subscriptions",
    response_model=SubscriptionOut,
    responses=errors(401, 404, 422),
)
async def get_subscription(
    subscription_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SubscriptionOut:
    return SubscriptionOut.of(await subscriptions.get_mine(session, principal, subscription_id))


@router.get(
    "/{subscription_id}/return",
    summary="Back from the gateway's hosted page: the subscription as its payment left it",
    description=(
        "Where the gateway sends the subscriber after the hosted page (`checkout: true`). "
        "Asks the gateway where the first payment stands: paid, the subscription is `active` "
        "(the card entered is its payment method); otherwise it stays `incomplete` until "
        "paid or expired. The subscriber (signed in) or whoever holds the gateway's id of "
        "the payment (`payment_intent`, `token`, as the gateway appends them) may call it; "
        "anyone else gets 404 `subscription_not_found`."
    ),
    response_model=SubscriptionOut,
    responses=errors(404, 422, 503),
)
async def return_from_checkout(
    subscription_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: OptionalPrincipal,
    payment_intent: Annotated[str | None, Query(alias="payment_intent", max_length=255)] = None,
    payment_intent_client_secret: Annotated[
        str | None, Query(alias="payment_intent_client_secret", max_length=255)
    ] = None,
    redirect_status: Annotated[str | None, Query(alias="redirect_status", max_length=40)] = None,
    token: Annotated[str | None, Query(alias="token", max_length=255)] = None,
    payer_id: Annotated[str | None, Query(alias="PayerID", max_length=255)] = None,
    cancelled: Annotated[bool | None, Query(description="The subscriber left the page")] = None,
) -> SubscriptionOut:
    del payment_intent_client_secret, redirect_status, payer_id, cancelled
    row = await hosted.returned(
        session,
        request.app.state.settings,
        principal,
        subscription_id,
        payment_intent or token,
        utcnow(),
    )
    return SubscriptionOut.of(await subscriptions.record(session, row))


@router.patch(
    "/{subscription_id}",
    summary="Auto-renew on or off; the saved payment method renewals are charged to",
    response_model=SubscriptionOut,
    responses=errors(400, 401, 404, 409, 422),
)
async def update_subscription(
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await subscriptions.update_settings(
            session,
            principal,
            subscription_id,
            auto_renew=body.auto_renew,
            payment_method_id=body.payment_method_id,
        )
    )


@router.post(
    "/{subscription_id}/cancel",
    summary="Cancel at the period's end (default) or at once with a prorated refund",
    response_model=SubscriptionOut,
    responses=errors(400, 401, 404, 409, 422, 503),
)
async def cancel_subscription(
    subscription_id: uuid.UUID,
    body: CancelRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await subscriptions.cancel(
            session,
            principal,
            request.app.state.settings,
            subscription_id,
            immediately=body.immediately,
            reason=body.reason,
            feedback=body.feedback,
        )
    )


@router.post(
    "/{subscription_id}/resume",
    summary="Undo a cancellation at the period's end",
    response_model=SubscriptionOut,
    responses=errors(401, 404, 409, 422),
)
async def resume_subscription(
    subscription_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SubscriptionOut:
    return SubscriptionOut.of(await subscriptions.resume(session, principal, subscription_id))


@router.post(
    "/{subscription_id}/change-plan",
    summary="Upgrade now (the difference prorated) or downgrade at the period's end",
    response_model=SubscriptionOut,
    responses=errors(400, 401, 404, 409, 422, 503),
)
async def change_subscription_plan(
    subscription_id: uuid.UUID,
    body: PlanChangeRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await subscriptions.change_plan(
            session,
            principal,
            request.app.state.settings,
            subscription_id,
            plan_id=body.plan_id,
        )
    )


@router.get(
    "/{subscription_id}/charges",
    summary="The subscription's charges, dunning attempts and refunds",
    response_model=Page[SubscriptionChargeOut],
    responses=errors(401, 404, 422),
)
async def list_subscription_charges(
    subscription_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[SubscriptionChargeOut]:
    found, total = await subscriptions.charges(
        session, principal, subscription_id, offset=params.offset, limit=params.limit
    )
    return Page.build([SubscriptionChargeOut.of(c) for c in found], total, params)


@me_router.get(
    "/subscription",
    summary="My current subscription: status, plan, next billing date and amount",
    response_model=MySubscriptionOut,
    responses=errors(401),
)
async def get_my_subscription(session: DbSession, principal: CurrentPrincipal) -> MySubscriptionOut:
    found = await subscriptions.current(session, principal)
    return MySubscriptionOut(subscription=SubscriptionOut.of(found) if found else None)


@me_router.get(
    "/subscriptions",
    summary="My subscriptions, newest first",
    response_model=Page[SubscriptionOut],
    responses=errors(401, 422),
)
async def list_my_subscriptions_me(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[SubscriptionOut]:
    return await list_my_subscriptions(session, principal, params)


@courses_router.post(
    "/{course_id}/enroll",
    status_code=201,
    summary="Enroll in a course my subscription (or my seat) opens",
    description="409 `course_not_in_plan` when no live subscription of yours opens the course.",
    response_model=SubscriptionEnrollmentOut,
    responses=errors(401, 409, 422),
)
async def enroll_with_subscription(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SubscriptionEnrollmentOut:
    enrollment = await access.open_course(session, principal.user_id, course_id)
    return SubscriptionEnrollmentOut.of(enrollment)
