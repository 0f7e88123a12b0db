"""Seats of enterprise subscriptions, managed by the organization's admins.

Only an org admin of the subscription's organization (or a platform admin holding
``org:manage``) manages its seats; a member with another role gets 403; anyone outside the
organization gets 404, as if the subscription did not exist. Assigning a seat is an insert
plus a conditional ``UPDATE ... SET seats_assigned = seats_assigned + 1 WHERE seats_assigned
< quantity``: the row lock serialises concurrent assignments, so more seats than bought are
never assigned. A seat gives its holder the plan's access (``access.open_course``);
unassigning it frees the seat and ends that access at once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import ACCESS_STATUSES, SubscriptionStatus
from campus.billing.events import SeatAssigned
from campus.billing.exceptions import (
    NotAnOrganizationMember,
    PaymentDeclined,
    SeatsBelowAssigned,
    SeatsExhausted,
    SubscriptionNotChangeable,
    SubscriptionNotFound,
)
from campus.billing.models import Subscription
from campus.billing.repository import subscriptions as repo
from campus.billing.service import access, charging
from campus.billing.service.organizations import OrganizationNotFound, require_org_admin
from campus.billing.service.periods import prorate
from campus.billing.service.records import SeatRecord, SubscriptionRecord, seat_record
from campus.billing.service.subscriptions import load
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound
from campus.kernel.events import publish
from campus.kernel.ids import new_id

LIVE = [status.value for status in ACCESS_STATUSES]


async def _managed(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    row = await repo.get(session, subscription_id)
    if row is None or row.organization_id is None:
        raise SubscriptionNotFound()
    try:
        await require_org_admin(session, principal, row.organization_id)
    except OrganizationNotFound as exc:
        raise SubscriptionNotFound() from exc
    return row


async def get_for_admin(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionRecord:
    await _managed(session, principal, subscription_id)
    return await load(session, subscription_id)


async def list_seats(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
) -> tuple[list[SeatRecord], int]:
    await _managed(session, principal, subscription_id)
    rows, total = await repo.seats_of(session, subscription_id, offset=offset, limit=limit)
    return [seat_record(row) for row in rows], total


async def assign(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[SeatRecord, bool]:
    """Give a member a seat; ``(seat, created)``; assigning a holder again changes nothing.
    409 ``seats_exhausted`` when every seat is taken, ``not_an_organization_member``."""
    row = await _managed(session, principal, subscription_id)
    assert row.organization_id is not None
    if await identity.organization_role(session, row.organization_id, user_id) is None:
        raise NotAnOrganizationMember()
    now = utcnow()
    seat_id = new_id()
    created = await repo.add_seat(
        session,
        {
            "id": seat_id,
            "subscription_id": row.id,
            "user_id": user_id,
            "assigned_by": principal.user_id,
            "assigned_at": now,
        },
    )
    if created:
        taken = await repo.move(
            session,
            row.id,
            {"status": LIVE},
            {"seats_assigned": Subscription.seats_assigned + 1},
            extra=[Subscription.seats_assigned < Subscription.quantity],
        )
        if not taken:
            if row.status not in LIVE:
                raise SubscriptionNotChangeable()
            raise SeatsExhausted()
        await publish(
            session,
            SeatAssigned(
                subscription_id=row.id,
                organization_id=row.organization_id,
                user_id=user_id,
                assigned_by=principal.user_id,
                assigned_at=now,
            ),
        )
    seats, _ = await repo.seats_of(session, row.id, offset=0, limit=1, user_id=user_id)
    return seat_record(seats[0]), created


async def unassign(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Take a seat back: the seat is free at once and the member's access through it ends."""
    row = await _managed(session, principal, subscription_id)
    if not await repo.remove_seat(session, row.id, user_id):
        raise NotFound(code="seat_not_found", message="The member holds no seat.")
    await repo.move(session, row.id, {}, {"seats_assigned": Subscription.seats_assigned - 1})
    await access.end_access(session, row.id, user_id)


async def change_seats(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    subscription_id: uuid.UUID,
    *,
    seats: int,
) -> SubscriptionRecord:
    """More seats apply at once, the added seats charged for the rest of the period (prorated,
    rounded down); fewer seats apply at the next renewal and never below those assigned."""
    row = await _managed(session, principal, subscription_id)
    if row.status != SubscriptionStatus.ACTIVE.value or row.current_period_end is None:
        raise SubscriptionNotChangeable()
    if seats <= row.quantity:
        pending = None if seats == row.quantity else seats
        moved = await repo.move(
            session,
            row.id,
            {"status": "active"},
            {"pending_quantity": pending},
            extra=[Subscription.seats_assigned <= seats],
        )
        if not moved:
            raise SeatsBelowAssigned()
        return await load(session, row.id)
    added = seats - row.quantity
    amount = prorate(
        row.unit_price_minor * added, row.current_period_start, row.current_period_end, utcnow()
    )
    moved = await repo.move(
        session,
        row.id,
        {"status": "active", "quantity": row.quantity, "period": row.period},
        {"quantity": seats, "pending_quantity": None},
    )
    if not moved:
        raise SubscriptionNotChangeable()
    result = await charging.charge(
        session,
        settings,
        row,
        kind="seats",
        period=row.period,
        attempt=1,
        amount_minor=amount,
        key=f"{charging.period_key(row, row.period)}:seats:{seats}",
    )
    if not result.succeeded:
        raise PaymentDeclined(details={"failureCode": result.failure_code})
    return await load(session, row.id)


async def on_member_removed(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    """A member left the organization: the seats they held in its subscriptions are freed and
    their access through them ends. Idempotent (a seat is deleted once); returns how many."""
    freed = 0
    for subscription_id in await repo.seated_subscription_ids(session, organization_id, user_id):
        if await repo.remove_seat(session, subscription_id, user_id):
            await repo.move(
                session, subscription_id, {}, {"seats_assigned": Subscription.seats_assigned - 1}
            )
            await access.end_access(session, subscription_id, user_id)
            freed += 1
    return freed
