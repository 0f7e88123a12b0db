"""Plans: everyone reads the active ones; plan managers (admins) create, change, retire and
delete them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from campus.billing.data import PlanStatus
from campus.billing.endpoints.errors import errors
from campus.billing.schemas.plans import PlanCreate, PlanOut, PlanUpdate
from campus.billing.service import plans
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/billing/plans", tags=["subscription plans"])


@router.get(
    "",
    summary="Subscription plans (active ones; plan managers see every status)",
    response_model=Page[PlanOut],
    responses=errors(422),
)
async def list_subscription_plans(
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[PlanStatus | None, Query()] = None,
) -> Page[PlanOut]:
    found, total = await plans.list_plans(
        session, principal, status=status, offset=params.offset, limit=params.limit
    )
    return Page.build([PlanOut.of(plan) for plan in found], total, params)


@router.post(
    "",
    status_code=201,
    summary="Create a plan",
    response_model=PlanOut,
    responses=errors(400, 401, 403, 409, 422),
)
async def create_subscription_plan(
    body: PlanCreate, session: DbSession, principal: CurrentPrincipal
) -> PlanOut:
    return PlanOut.of(await plans.create(session, principal, body.values()))


@router.get(
    "/{plan_id}",
    summary="One plan",
    response_model=PlanOut,
    responses=errors(404, 422),
)
async def get_subscription_plan(
    plan_id: uuid.UUID, session: DbSession, principal: OptionalPrincipal
) -> PlanOut:
    return PlanOut.of(await plans.get_visible(session, principal, plan_id))


@router.patch(
    "/{plan_id}",
    summary="Change a plan (new prices apply to new subscribers)",
    response_model=PlanOut,
    responses=errors(400, 401, 403, 404, 409, 422),
)
async def update_subscription_plan(
    plan_id: uuid.UUID, body: PlanUpdate, session: DbSession, principal: CurrentPrincipal
) -> PlanOut:
    return PlanOut.of(await plans.update(session, principal, plan_id, body.values()))


@router.post(
    "/{plan_id}/retire",
    summary="Retire a plan: no new subscribers, existing ones keep it",
    response_model=PlanOut,
    responses=errors(401, 403, 404, 422),
)
async def retire_subscription_plan(
    plan_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> PlanOut:
    return PlanOut.of(await plans.retire(session, principal, plan_id))


@router.delete(
    "/{plan_id}",
    status_code=204,
    summary="Delete a plan nobody ever subscribed to (409 plan_in_use otherwise: retire it)",
    responses=errors(401, 403, 404, 409, 422),
)
async def delete_subscription_plan(
    plan_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await plans.delete(session, principal, plan_id)
    return Response(status_code=204)
