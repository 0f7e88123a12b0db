"""No double booking on PostgreSQL: fifty learners racing for one slot get one session, a
reschedule racing a new booking for the same time leaves one of them, and a control shows
that a look-then-insert without the guard books the slot many times over."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from campus.booking.exceptions import SlotTaken
from campus.booking.models import BookingSession
from campus.booking.service import sessions as svc
from campus.kernel.auth import Principal
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.errors import AppError
from tests.booking.conftest import BookingFactory, at
from tests.conftest import postgres_only

PARALLEL = 50


async def count_active(db: Database, consultant_id: uuid.UUID) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(BookingSession)
                .where(
                    BookingSession.consultant_user_id == consultant_id,
                    BookingSession.status == "scheduled",
                )
            )
            or 0
        )


@postgres_only
async def test_fifty_learners_booking_one_slot_at_once_get_exactly_one_session(
    monday: Clock, booking: BookingFactory, db: Database
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    settings = booking.app.state.settings
    start = at(1, 10)

    async def one(index: int) -> str:
        learner = Principal(user_id=uuid.uuid4(), roles=frozenset({"student"}))
        try:
            async with db.session() as session:
                await svc.book(
                    session,
                    settings,
                    learner,
                    service_type_id=uuid.UUID(kind["id"]),
                    consultant_id=consultant.id,
                    starts_at=start,
                    time_zone="UTC",
                    duration_minutes=None,
                    details=f"learner {index}",
                )
            return "booked"
        except SlotTaken:
            return "taken"

    outcomes = Counter(await asyncio.gather(*(one(i) for i in range(PARALLEL))))
    assert outcomes == Counter({"booked": 1, "taken": PARALLEL - 1})
    assert await count_active(db, consultant.id) == 1


async def naive_book(
    db: Database,
    consultant_id: uuid.UUID,
    kind_id: uuid.UUID,
    start: object,
    gate: asyncio.Barrier,
) -> str:
    """The check-then-insert the lock and the exclusion constraint replace: look for an
    overlapping session, then insert (everyone looks before anyone inserts)."""
    assert isinstance(start, type(at(0, 0)))
    end = start + timedelta(hours=1)
    try:
        async with db.session() as session:
            found = await session.scalar(
                sa.select(sa.func.count())
                .select_from(BookingSession)
                .where(
                    BookingSession.consultant_user_id == consultant_id,
                    BookingSession.status == "scheduled",
                    BookingSession.blocked_from < end,
                    BookingSession.blocked_until > start,
                )
            )
            await gate.wait()
            if found:
                return "found"
            session.add(
                BookingSession(
                    service_type_id=kind_id,
                    learner_id=uuid.uuid4(),
                    consultant_user_id=consultant_id,
                    starts_at=start,
                    ends_at=end,
                    blocked_from=start,
                    blocked_until=end,
                    status="scheduled",
                    learner_time_zone="UTC",
                )
            )
            await session.flush()
            return "inserted"
    except IntegrityError:
        return "refused"


@postgres_only
async def test_control_every_racer_sees_the_slot_free_and_the_exclusion_constraint_admits_one(
    monday: Clock, booking: BookingFactory, db: Database
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    start = at(2, 10)
    gate = asyncio.Barrier(20)
    guarded = Counter(
        await asyncio.gather(
            *(naive_book(db, consultant.id, uuid.UUID(kind["id"]), start, gate) for _ in range(20))
        )
    )
    # Every caller saw the slot free (a look-then-insert would book it twenty times): the
    # exclusion constraint lets one insert win.
    assert guarded == Counter({"inserted": 1, "refused": 19})


@postgres_only
async def test_a_reschedule_racing_a_new_booking_for_the_same_time_leaves_one(
    monday: Clock, booking: BookingFactory, db: Database
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    settings = booking.app.state.settings
    mover = await booking.learner("Mover")
    existing = await booking.book(mover, kind, consultant, at(3, 10))
    target = at(3, 14)
    mover_principal = Principal(user_id=mover.id, roles=frozenset({"student"}))

    async def reschedule() -> str:
        try:
            async with db.session() as session:
                await svc.reschedule(
                    session, settings, mover_principal, uuid.UUID(existing["id"]), target
                )
            return "moved"
        except AppError as exc:
            return exc.code

    async def newcomer(index: int) -> str:
        try:
            async with db.session() as session:
                await svc.book(
                    session,
                    settings,
                    Principal(user_id=uuid.uuid4()),
                    service_type_id=uuid.UUID(kind["id"]),
                    consultant_id=consultant.id,
                    starts_at=target,
                    time_zone="UTC",
                    duration_minutes=None,
                    details="",
                )
            return "booked"
        except AppError as exc:
            return exc.code

    results = await asyncio.gather(reschedule(), *(newcomer(i) for i in range(10)))
    winners = [r for r in results if r in ("moved", "booked")]
    assert len(winners) == 1, results
    async with db.session() as session:
        at_target = await session.scalar(
            sa.select(sa.func.count())
            .select_from(BookingSession)
            .where(
                BookingSession.consultant_user_id == consultant.id,
                BookingSession.starts_at == target,
                BookingSession.status == "scheduled",
            )
        )
    assert at_target == 1


@postgres_only
async def test_reminders_from_several_workers_at_once_go_out_exactly_once(
    monday: Clock, booking: BookingFactory, db: Database
) -> None:
    from campus.kernel.outbox import OutboxMessage

    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    for hour in (10, 12, 14):
        await booking.book(learner, kind, consultant, at(2, hour))
    monday.freeze(at(1, 15))  # every 24 h reminder is due
    settings = booking.app.state.settings

    async def worker() -> int:
        try:
            async with db.session() as session:
                return await svc.send_reminders(session, settings)
        except IntegrityError:
            return 0

    sent = await asyncio.gather(*(worker() for _ in range(8)))
    assert sum(sent) == 3
    async with db.session() as session:
        published = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.name == "booking.reminder_due")
        )
    assert published == 3
