"""Every query of booking's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking.models import (
    BLOCKING_STATUSES,
    AvailabilityOverride,
    AvailabilityRule,
    BookingSession,
    CalendarFeed,
    ConsultantProfile,
    Feedback,
    ReminderSent,
    ServiceType,
)
from campus.kernel.db import dialect_insert, rowcount

# --------------------------------------------------------------------------- service types


async def service_type(session: AsyncSession, type_id: uuid.UUID) -> ServiceType | None:
    return await session.get(ServiceType, type_id)


async def service_types(
    session: AsyncSession, *, active_only: bool, limit: int, offset: int
) -> tuple[list[ServiceType], int]:
    where = [ServiceType.is_active.is_(True)] if active_only else []
    total = await session.scalar(sa.select(sa.func.count()).select_from(ServiceType).where(*where))
    rows = await session.scalars(
        sa.select(ServiceType)
        .where(*where)
        .order_by(ServiceType.name, ServiceType.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


# --------------------------------------------------------------------------- consultants


async def profile(
    session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False
) -> ConsultantProfile | None:
    statement = sa.select(ConsultantProfile).where(ConsultantProfile.user_id == user_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def profiles(session: AsyncSession, user_ids: list[uuid.UUID]) -> list[ConsultantProfile]:
    if not user_ids:
        return []
    return list(
        await session.scalars(
            sa.select(ConsultantProfile).where(ConsultantProfile.user_id.in_(user_ids))
        )
    )


async def bookable_profiles(session: AsyncSession) -> list[ConsultantProfile]:
    return list(
        await session.scalars(
            sa.select(ConsultantProfile)
            .where(ConsultantProfile.is_bookable.is_(True))
            .order_by(ConsultantProfile.display_name, ConsultantProfile.user_id)
        )
    )


async def rules_of(session: AsyncSession, user_id: uuid.UUID) -> list[AvailabilityRule]:
    return list(
        await session.scalars(
            sa.select(AvailabilityRule).where(AvailabilityRule.consultant_user_id == user_id)
        )
    )


async def overrides_of(session: AsyncSession, user_id: uuid.UUID) -> list[AvailabilityOverride]:
    return list(
        await session.scalars(
            sa.select(AvailabilityOverride).where(
                AvailabilityOverride.consultant_user_id == user_id
            )
        )
    )


async def replace_availability(
    session: AsyncSession,
    user_id: uuid.UUID,
    rules: list[dict[str, Any]],
    overrides: list[dict[str, Any]],
) -> None:
    await session.execute(
        sa.delete(AvailabilityRule).where(AvailabilityRule.consultant_user_id == user_id)
    )
    await session.execute(
        sa.delete(AvailabilityOverride).where(AvailabilityOverride.consultant_user_id == user_id)
    )
    session.add_all(AvailabilityRule(consultant_user_id=user_id, **rule) for rule in rules)
    session.add_all(
        AvailabilityOverride(consultant_user_id=user_id, **override) for override in overrides
    )
    await session.flush()


async def add_rating(session: AsyncSession, user_id: uuid.UUID, rating: int) -> None:
    await session.execute(
        sa.update(ConsultantProfile)
        .where(ConsultantProfile.user_id == user_id)
        .values(
            rating_sum=ConsultantProfile.rating_sum + rating,
            rating_count=ConsultantProfile.rating_count + 1,
        )
    )


# --------------------------------------------------------------------------- sessions


async def get(
    session: AsyncSession, session_id: uuid.UUID, *, lock: bool = False
) -> BookingSession | None:
    statement = sa.select(BookingSession).where(BookingSession.id == session_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def occupying(
    session: AsyncSession, consultant_id: uuid.UUID, start: datetime, end: datetime, now: datetime
) -> list[BookingSession]:
    """The consultant's sessions that occupy time overlapping ``[start, end)`` now (expired
    holds and requests past their deadline do not)."""
    return list(
        await session.scalars(
            sa.select(BookingSession).where(
                BookingSession.consultant_user_id == consultant_id,
                BookingSession.status.in_(BLOCKING_STATUSES),
                BookingSession.blocked_from < end,
                BookingSession.blocked_until > start,
                sa.or_(
                    BookingSession.hold_expires_at.is_(None),
                    BookingSession.hold_expires_at > now,
                ),
                sa.or_(BookingSession.respond_by.is_(None), BookingSession.respond_by > now),
            )
        )
    )


async def release_lapsed(
    session: AsyncSession, now: datetime, consultant_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Expire holds and requests whose time ran out (conditional updates); their ids."""
    scope = [] if consultant_id is None else [BookingSession.consultant_user_id == consultant_id]
    expired: list[uuid.UUID] = []
    for status, column in (
        ("held", BookingSession.hold_expires_at),
        ("pending_confirmation", BookingSession.respond_by),
    ):
        result = await session.execute(
            sa.update(BookingSession)
            .where(BookingSession.status == status, column <= now, *scope)
            .values(status="expired", updated_at=now)
            .returning(BookingSession.id)
        )
        expired += list(result.scalars())
    return expired


async def transition(
    session: AsyncSession,
    session_id: uuid.UUID,
    from_statuses: tuple[str, ...],
    values: dict[str, Any],
    *extra: Any,
) -> bool:
    """Change the session when its status is one of ``from_statuses`` (and ``extra``)."""
    result = await session.execute(
        sa.update(BookingSession)
        .where(BookingSession.id == session_id, BookingSession.status.in_(from_statuses), *extra)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def list_sessions(
    session: AsyncSession, where: list[Any], *, limit: int, offset: int, newest_first: bool
) -> tuple[list[BookingSession], int]:
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(BookingSession).where(*where)
    )
    order = BookingSession.starts_at.desc() if newest_first else BookingSession.starts_at
    rows = await session.scalars(
        sa.select(BookingSession)
        .where(*where)
        .order_by(order, BookingSession.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def due_for_reminder(
    session: AsyncSession, now: datetime, minutes_before: int, lookahead: Any
) -> list[BookingSession]:
    sent = sa.exists().where(
        ReminderSent.session_id == BookingSession.id,
        ReminderSent.minutes_before == minutes_before,
    )
    return list(
        await session.scalars(
            sa.select(BookingSession).where(
                BookingSession.status == "scheduled",
                BookingSession.starts_at > now,
                BookingSession.starts_at <= lookahead,
                ~sent,
            )
        )
    )


async def mark_reminder_sent(
    session: AsyncSession, session_id: uuid.UUID, minutes_before: int, now: datetime
) -> bool:
    result = await session.execute(
        dialect_insert(session, ReminderSent)
        .values(session_id=session_id, minutes_before=minutes_before, sent_at=now)
        .on_conflict_do_nothing(index_elements=["session_id", "minutes_before"])
    )
    return rowcount(result) == 1


async def forget_reminders(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(sa.delete(ReminderSent).where(ReminderSent.session_id == session_id))


async def unattended(session: AsyncSession, before: datetime) -> list[BookingSession]:
    return list(
        await session.scalars(
            sa.select(BookingSession).where(
                BookingSession.status == "scheduled", BookingSession.ends_at <= before
            )
        )
    )


async def add_feedback(session: AsyncSession, values: dict[str, Any]) -> bool:
    result = await session.execute(
        dialect_insert(session, Feedback)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    return rowcount(result) == 1


async def feedback_of(session: AsyncSession, session_id: uuid.UUID) -> Feedback | None:
    return (
        await session.scalars(sa.select(Feedback).where(Feedback.session_id == session_id))
    ).one_or_none()


async def public_feedback(
    session: AsyncSession, consultant_id: uuid.UUID, limit: int
) -> list[Feedback]:
    return list(
        await session.scalars(
            sa.select(Feedback)
            .where(Feedback.consultant_user_id == consultant_id, Feedback.is_public.is_(True))
            .order_by(Feedback.created_at.desc())
            .limit(limit)
        )
    )


async def status_counts(
    session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[uuid.UUID, str, int, int]]:
    """(consultant, status, sessions, minutes) of sessions starting in the range."""
    minutes = sa.func.sum(
        sa.extract("epoch", BookingSession.ends_at) - sa.extract("epoch", BookingSession.starts_at)
    )
    rows = await session.execute(
        sa.select(
            BookingSession.consultant_user_id,
            BookingSession.status,
            sa.func.count(),
            minutes,
        )
        .where(
            BookingSession.consultant_user_id.is_not(None),
            BookingSession.starts_at >= since,
            BookingSession.starts_at < until,
        )
        .group_by(BookingSession.consultant_user_id, BookingSession.status)
    )
    return [
        (consultant, status, int(count), int((seconds or 0) // 60))
        for consultant, status, count, seconds in rows
        if consultant is not None
    ]


async def earnings_rows(
    session: AsyncSession, consultant_id: uuid.UUID
) -> list[tuple[str, str, int, int]]:
    """(currency, status, sessions, amount) of the consultant's paid sessions."""
    rows = await session.execute(
        sa.select(
            BookingSession.currency,
            BookingSession.status,
            sa.func.count(),
            sa.func.sum(BookingSession.price_minor),
        )
        .where(
            BookingSession.consultant_user_id == consultant_id,
            BookingSession.payment_status == "paid",
        )
        .group_by(BookingSession.currency, BookingSession.status)
    )
    return [(c, s, int(n), int(total or 0)) for c, s, n, total in rows]


async def set_meeting(
    session: AsyncSession, session_id: uuid.UUID, provider: str, meeting_id: str, join_url: str
) -> bool:
    result = await session.execute(
        sa.update(BookingSession)
        .where(BookingSession.id == session_id, BookingSession.meeting_id.is_(None))
        .values(meeting_provider=provider, meeting_id=meeting_id, join_url=join_url)
    )
    return rowcount(result) == 1


async def profile_with_type(
    session: AsyncSession, user_id: uuid.UUID, type_id: uuid.UUID
) -> tuple[ConsultantProfile, ServiceType] | None:
    """The consultant's profile and the service type, in one query (None when either is
    missing)."""
    row = (
        await session.execute(
            sa.select(ConsultantProfile, ServiceType)
            .join(ServiceType, ServiceType.id == type_id)
            .where(ConsultantProfile.user_id == user_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


async def windows(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[int | None, Any, int | None, int | None]]:
    """(weekday, None, start, end) of the weekly rules and (None, day, start, end) of the
    overrides, in one query."""
    rules = sa.select(
        AvailabilityRule.weekday,
        sa.cast(sa.null(), sa.Date).label("day"),
        AvailabilityRule.start_minute,
        AvailabilityRule.end_minute,
    ).where(AvailabilityRule.consultant_user_id == user_id)
    overrides = sa.select(
        sa.cast(sa.null(), sa.Integer).label("weekday"),
        AvailabilityOverride.day,
        AvailabilityOverride.start_minute,
        AvailabilityOverride.end_minute,
    ).where(AvailabilityOverride.consultant_user_id == user_id)
    rows: list[Any] = list((await session.execute(sa.union_all(rules, overrides))).all())
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def occupied_ranges(
    session: AsyncSession, consultant_id: uuid.UUID, start: datetime, end: datetime, now: datetime
) -> list[tuple[uuid.UUID, datetime, datetime, datetime]]:
    """(id, starts_at, blocked_from, blocked_until) of what ``occupying`` returns."""
    rows = await session.execute(
        sa.select(
            BookingSession.id,
            BookingSession.starts_at,
            BookingSession.blocked_from,
            BookingSession.blocked_until,
        ).where(
            BookingSession.consultant_user_id == consultant_id,
            BookingSession.status.in_(BLOCKING_STATUSES),
            BookingSession.blocked_from < end,
            BookingSession.blocked_until > start,
            sa.or_(BookingSession.hold_expires_at.is_(None), BookingSession.hold_expires_at > now),
            sa.or_(BookingSession.respond_by.is_(None), BookingSession.respond_by > now),
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def set_feed_token(
    session: AsyncSession, user_id: uuid.UUID, token_hash: str, now: datetime
) -> None:
    await session.execute(
        dialect_insert(session, CalendarFeed)
        .values(user_id=user_id, token_hash=token_hash, created_at=now)
        .on_conflict_do_update(
            index_elements=["user_id"], set_={"token_hash": token_hash, "created_at": now}
        )
    )


async def delete_feed(session: AsyncSession, user_id: uuid.UUID) -> bool:
    result = await session.execute(sa.delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return rowcount(result) == 1


async def feed_owner(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    owner: uuid.UUID | None = await session.scalar(
        sa.select(CalendarFeed.user_id).where(CalendarFeed.token_hash == token_hash)
    )
    return owner


async def sessions_of_person(
    session: AsyncSession, user_id: uuid.UUID, since: datetime, limit: int
) -> list[BookingSession]:
    return list(
        await session.scalars(
            sa.select(BookingSession)
            .where(
                sa.or_(
                    BookingSession.learner_id == user_id,
                    BookingSession.consultant_user_id == user_id,
                ),
                BookingSession.status.in_(
                    (
                        "scheduled",
                        "in_progress",
                        "completed",
                        "cancelled_by_user",
                        "cancelled_by_consultant",
                    )
                ),
                BookingSession.starts_at >= since,
            )
            .order_by(BookingSession.starts_at, BookingSession.id)
            .limit(limit)
        )
    )


async def service_names(session: AsyncSession, type_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not type_ids:
        return {}
    rows = await session.execute(
        sa.select(ServiceType.id, ServiceType.name).where(ServiceType.id.in_(type_ids))
    )
    return {r[0]: r[1] for r in rows}
