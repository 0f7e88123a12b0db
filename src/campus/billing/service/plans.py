"""Plans: admins create, change, retire and delete them; anyone reads the active ones.

A plan in use (a subscription holds it, now or at its next renewal) cannot be deleted, only
retired: a retired plan takes no new subscribers and its subscribers keep it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import PLAN_MANAGE, PlanStatus
from campus.billing.exceptions import PlanCodeTaken, PlanNotFound
from campus.billing.repository import plans as repo
from campus.billing.service.records import PlanRecord, plan_record
from campus.kernel.auth import Principal
from campus.kernel.errors import Conflict
from campus.kernel.ids import new_id


class PlanInUse(Conflict):
    code = "plan_in_use"
    message = "Subscriptions hold this plan: retire it instead of deleting it."


async def create(session: AsyncSession, principal: Principal, values: dict[str, Any]) -> PlanRecord:
    principal.require(PLAN_MANAGE)
    plan_id = new_id()
    if not await repo.insert(session, {**values, "id": plan_id, "status": "active"}):
        raise PlanCodeTaken()
    return await get(session, plan_id)


async def get(session: AsyncSession, plan_id: uuid.UUID) -> PlanRecord:
    row = await repo.get(session, plan_id)
    if row is None:
        raise PlanNotFound()
    return plan_record(row)


async def get_visible(
    session: AsyncSession, principal: Principal | None, plan_id: uuid.UUID
) -> PlanRecord:
    """A plan as the caller may see it: retired plans only for plan managers."""
    plan = await get(session, plan_id)
    if plan.status is PlanStatus.RETIRED and not (principal and principal.has(PLAN_MANAGE)):
        raise PlanNotFound()
    return plan


async def list_plans(
    session: AsyncSession,
    principal: Principal | None,
    *,
    status: PlanStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[PlanRecord], int]:
    """Active plans for everyone; plan managers choose any status (all by default)."""
    manager = principal is not None and principal.has(PLAN_MANAGE)
    wanted = (status.value if status else None) if manager else PlanStatus.ACTIVE.value
    rows, total = await repo.list_plans(session, status=wanted, offset=offset, limit=limit)
    return [plan_record(row) for row in rows], total


async def update(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, values: dict[str, Any]
) -> PlanRecord:
    """Change a plan; new prices apply to new subscribers and at nobody's renewal (a
    subscription keeps the price it was sold at)."""
    principal.require(PLAN_MANAGE)
    if values:
        try:
            async with session.begin_nested():
                changed = await repo.update(session, plan_id, values)
        except IntegrityError as exc:
            raise PlanCodeTaken() from exc
        if not changed:
            raise PlanNotFound()
    return await get(session, plan_id)


async def retire(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PlanRecord:
    """Retire a plan (idempotent): no new subscribers, existing ones keep it."""
    principal.require(PLAN_MANAGE)
    plan = await get(session, plan_id)
    if plan.status is PlanStatus.ACTIVE:
        await repo.retire(session, plan_id)
    return await get(session, plan_id)


async def delete(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> None:
    principal.require(PLAN_MANAGE)
    if await repo.delete_unused(session, plan_id):
        return
    await get(session, plan_id)  # 404 when there was nothing to delete
    raise PlanInUse()
