"""Subscription, charge, grant and seat queries. Every change of a subscription's state is a
conditional UPDATE on the state it leaves (no read before the write decides)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import ACCESS_STATUSES
from campus.billing.models import Charge, Grant, Seat, Subscription, Trial
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount

LIVE = sorted(status.value for status in ACCESS_STATUSES)


async def insert(session: AsyncSession, values: dict[str, Any]) -> None:
    now = utcnow()
    await session.execute(sa.insert(Subscription).values(**values, created_at=now, updated_at=now))


async def take_trial(
    session: AsyncSession, user_id: uuid.UUID, plan_id: uuid.UUID, subscription_id: uuid.UUID
) -> bool:
    """Record the user's trial of the plan; False when they had one (the key decides)."""
    statement = (
        dialect_insert(session, Trial)
        .values(
            user_id=user_id, plan_id=plan_id, subscription_id=subscription_id, started_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["user_id", "plan_id"])
    )
    return rowcount(await session.execute(statement)) == 1


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, subscription_id, populate_existing=True)


async def list_for_user(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    where = Subscription.user_id == user_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(where))
    rows = await session.scalars(
        sa.select(Subscription)
        .where(where)
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def live_for_access(session: AsyncSession, user_id: uuid.UUID) -> list[Subscription]:
    """The live subscriptions that give ``user_id`` access: their own solo ones and those of
    which they hold a seat."""
    seated = sa.select(Seat.subscription_id).where(Seat.user_id == user_id)
    rows = await session.scalars(
        sa.select(Subscription).where(
            Subscription.status.in_(LIVE),
            sa.or_(
                sa.and_(Subscription.user_id == user_id, Subscription.organization_id.is_(None)),
                Subscription.id.in_(seated),
            ),
        )
    )
    return list(rows)


async def move(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    expected: dict[str, Any],
    values: dict[str, Any],
    extra: Sequence[Any] = (),
) -> int:
    """``UPDATE ... SET values WHERE id = :id AND <expected columns> AND <extra>``."""
    where = [Subscription.id == subscription_id, *extra]
    for column, value in expected.items():
        attribute = getattr(Subscription, column)
        if isinstance(value, list | tuple | set | frozenset):
            where.append(attribute.in_(list(value)))
        elif value is None:
            where.append(attribute.is_(None))
        else:
            where.append(attribute == value)
    statement = (
        sa.update(Subscription)
        .where(*where)
        .values(**{"updated_at": utcnow(), **values})
        .execution_options(synchronize_session=False)
    )
    return rowcount(await session.execute(statement))


async def due_ids(
    session: AsyncSession,
    now: datetime,
    *,
    remind_before: datetime,
    limit: int,
    unchanged_since: datetime | None = None,
) -> list[uuid.UUID]:
    """Subscriptions with something to do at ``now``: a period that ended (renew, end, or
    start charging after a trial), a dunning retry due, a grace period over, a trial reminder.
    Rows another worker holds are skipped (PostgreSQL); with ``unchanged_since``, so are rows
    changed at or after that moment (already moved by this run)."""
    s = Subscription
    due = sa.or_(
        sa.and_(s.status.in_(["active", "trialing"]), s.current_period_end <= now),
        sa.and_(s.status == "past_due", s.next_retry_at <= now),
        sa.and_(s.status == "past_due", s.next_retry_at.is_(None), s.grace_ends_at <= now),
        sa.and_(s.status == "incomplete", s.checkout_expires_at <= now),
        sa.and_(
            s.status == "trialing",
            s.trial_reminded.is_(False),
            s.trial_ends_at <= remind_before,
        ),
    )
    where = [due] if unchanged_since is None else [due, s.updated_at < unchanged_since]
    rows = await session.scalars(
        sa.select(s.id)
        .where(*where)
        .order_by(s.current_period_end, s.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def add_charge(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a charge attempt; a second record of the same idempotency key is ignored."""
    statement = (
        dialect_insert(session, Charge)
        .values(**values, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await session.execute(statement)


async def charges_of(
    session: AsyncSession, subscription_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Charge], int]:
    where = Charge.subscription_id == subscription_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Charge).where(where))
    rows = await session.scalars(
        sa.select(Charge)
        .where(where)
        .order_by(Charge.created_at, Charge.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def last_paid_charge(
    session: AsyncSession, subscription_id: uuid.UUID, period: int
) -> Charge | None:
    """The successful charge that paid ``period`` (first period, renewal or retry)."""
    return await session.scalar(
        sa.select(Charge)
        .where(
            Charge.subscription_id == subscription_id,
            Charge.period == period,
            Charge.status == "succeeded",
            Charge.kind.in_(["initial", "renewal", "retry"]),
        )
        .order_by(Charge.created_at.desc())
        .limit(1)
    )


async def add_grant(
    session: AsyncSession, subscription_id: uuid.UUID, user_id: uuid.UUID, course_id: uuid.UUID
) -> None:
    statement = (
        dialect_insert(session, Grant)
        .values(
            subscription_id=subscription_id,
            user_id=user_id,
            course_id=course_id,
            granted_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "user_id", "course_id"])
    )
    await session.execute(statement)


async def take_grants(
    session: AsyncSession, subscription_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Delete the subscription's grants (of one user, or all); returns (user, course) pairs."""
    where = [Grant.subscription_id == subscription_id]
    if user_id is not None:
        where.append(Grant.user_id == user_id)
    result = await session.execute(
        sa.delete(Grant).where(*where).returning(Grant.user_id, Grant.course_id)
    )
    return [(row[0], row[1]) for row in result.all()]


async def add_seat(session: AsyncSession, values: dict[str, Any]) -> bool:
    statement = (
        dialect_insert(session, Seat)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "user_id"])
    )
    return rowcount(await session.execute(statement)) == 1


async def remove_seat(
    session: AsyncSession, subscription_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    result = await session.execute(
        sa.delete(Seat).where(Seat.subscription_id == subscription_id, Seat.user_id == user_id)
    )
    return rowcount(result) == 1


async def seats_of(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
    user_id: uuid.UUID | None = None,
) -> tuple[list[Seat], int]:
    where = [Seat.subscription_id == subscription_id]
    if user_id is not None:
        where.append(Seat.user_id == user_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Seat).where(*where))
    rows = await session.scalars(
        sa.select(Seat)
        .where(*where)
        .order_by(Seat.assigned_at, Seat.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def list_for_organization(
    session: AsyncSession, organization_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    where = Subscription.organization_id == organization_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(where))
    rows = await session.scalars(
        sa.select(Subscription)
        .where(where)
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


def _organization_grants(organization_id: uuid.UUID) -> sa.Select[uuid.UUID, uuid.UUID]:
    """The (member, course) pairs the organization's subscriptions opened, once each."""
    return (
        sa.select(Grant.user_id, Grant.course_id)
        .join(Subscription, Subscription.id == Grant.subscription_id)
        .where(Subscription.organization_id == organization_id)
        .distinct()
    )


async def organization_grants_page(
    session: AsyncSession, organization_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], int]:
    pairs = _organization_grants(organization_id).subquery()
    total = await session.scalar(sa.select(sa.func.count()).select_from(pairs))
    rows = await session.execute(
        sa.select(pairs.c.user_id, pairs.c.course_id)
        .order_by(pairs.c.user_id, pairs.c.course_id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows], int(total or 0)


async def organization_grants_after(
    session: AsyncSession,
    organization_id: uuid.UUID,
    after: tuple[uuid.UUID, uuid.UUID] | None,
    limit: int,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The next ``limit`` pairs after ``after`` in (member, course) order (a keyset walk)."""
    pairs = _organization_grants(organization_id).subquery()
    query = sa.select(pairs.c.user_id, pairs.c.course_id)
    if after is not None:
        query = query.where(sa.tuple_(pairs.c.user_id, pairs.c.course_id) > sa.tuple_(*after))
    rows = await session.execute(query.order_by(pairs.c.user_id, pairs.c.course_id).limit(limit))
    return [(row[0], row[1]) for row in rows]


async def seated_subscription_ids(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.scalars(
        sa.select(Seat.subscription_id)
        .join(Subscription, Subscription.id == Seat.subscription_id)
        .where(Subscription.organization_id == organization_id, Seat.user_id == user_id)
    )
    return list(rows)


async def charge_by_key(session: AsyncSession, key: str) -> Charge | None:
    return await session.scalar(sa.select(Charge).where(Charge.idempotency_key == key))
