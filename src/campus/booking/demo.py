"""Booking's demo data: two consultants in different time zones with weekly availability,
three service types (one paid), and upcoming and past sessions with feedback. Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking.models import (
    AvailabilityRule,
    BookingSession,
    ConsultantProfile,
    Feedback,
    ServiceType,
)
from campus.booking.repository import sessions as repo
from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import CONSULTANT
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.module import DemoAccount, SeedState

_PASSWORD = "consult-cedar-prism-38"  # noqa: S105  # nosec B105 - published demo credential

CONSULTANTS = (
    (
        "sofia@campus.example",
        "Sofia",
        "Keller",
        "Europe/Berlin",
        ["Python", "Career"],
        ["en", "de"],
    ),
    ("james@campus.example", "James", "Walker", "America/New_York", ["Data", "Interviews"], ["en"]),
)


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    del settings
    emails = [c[0] for c in CONSULTANTS]
    existing = await identity.find_user_ids_by_emails(session, emails)
    if any(await repo.profiles(session, list(existing.values()))):
        for email in emails:
            state.user_ids[email] = existing[email]
            state.accounts.append(DemoAccount(CONSULTANT, email, _PASSWORD))
        return  # seeded before: the same accounts as the first time
    now = utcnow()
    kinds = [
        ServiceType(
            id=new_id(),
            name="Career consultation",
            description="Plan your next step.",
            duration_minutes=30,
            buffer_after_minutes=10,
        ),
        ServiceType(
            id=new_id(),
            name="Code review session",
            description="Bring a project.",
            duration_minutes=60,
            buffer_before_minutes=5,
            buffer_after_minutes=10,
            requires_confirmation=True,
        ),
        ServiceType(
            id=new_id(),
            name="Mock interview",
            description="A paid, recorded drill.",
            duration_minutes=45,
            buffer_after_minutes=15,
            price_minor=4900,
            currency="USD",
        ),
    ]
    session.add_all(kinds)
    consultant_ids = []
    for email, first, last, zone, specs, languages in CONSULTANTS:
        user_id = existing.get(email) or await identity.create_user(
            session,
            email=email,
            password=_PASSWORD,
            first_name=first,
            last_name=last,
            roles=(CONSULTANT,),
            verified=True,
        )
        state.user_ids[email] = user_id
        state.accounts.append(DemoAccount(CONSULTANT, email, _PASSWORD))
        consultant_ids.append((user_id, zone))
        session.add(
            ConsultantProfile(
                user_id=user_id,
                display_name=f"{first} {last}",
                time_zone=zone,
                bio=f"{first} helps learners with {', '.join(specs).lower()}.",
                specializations=specs,
                languages=languages,
                service_type_ids=[str(k.id) for k in kinds],
                min_notice_minutes=12 * 60,
                horizon_days=60,
                daily_limit=6,
                rating_sum=0,
                rating_count=0,
            )
        )
        for weekday in range(4):  # Monday to Thursday, 09:00-12:00 and 14:00-17:00 local
            session.add(
                AvailabilityRule(
                    consultant_user_id=user_id,
                    weekday=weekday,
                    start_minute=9 * 60,
                    end_minute=12 * 60,
                )
            )
            session.add(
                AvailabilityRule(
                    consultant_user_id=user_id,
                    weekday=weekday,
                    start_minute=14 * 60,
                    end_minute=17 * 60,
                )
            )
    await session.flush()
    learners = [
        state.user_ids[e]
        for e in ("maria@campus.example", "kenji@campus.example")
        if e in state.user_ids
    ]
    if not learners:
        return
    for index, (consultant_id, zone) in enumerate(consultant_ids):
        tz = ZoneInfo(zone)
        for days, learner, past in (
            (-7, learners[0], True),
            (-3, learners[-1], True),
            (5, learners[0], False),
            (9, learners[-1], False),
        ):
            day = (now + timedelta(days=days)).astimezone(tz).date()
            start = datetime.combine(day, time(10 + index), tzinfo=tz).astimezone(UTC)
            kind = kinds[0]
            row = BookingSession(
                id=new_id(),
                service_type_id=kind.id,
                learner_id=learner,
                consultant_user_id=consultant_id,
                starts_at=start,
                ends_at=start + timedelta(minutes=kind.duration_minutes),
                blocked_from=start,
                blocked_until=start + timedelta(minutes=kind.duration_minutes + 10),
                status="completed" if past else "scheduled",
                learner_time_zone="Europe/Madrid",
                completed_at=start + timedelta(minutes=30) if past else None,
                created_at=start - timedelta(days=3),
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            if past:
                rating = 5 if days == -7 else 4
                session.add(
                    Feedback(
                        id=new_id(),
                        session_id=row.id,
                        learner_id=learner,
                        consultant_user_id=consultant_id,
                        rating=rating,
                        comment="Clear, practical advice.",
                        is_public=True,
                        created_at=now,
                    )
                )
                await repo.add_rating(session, consultant_id, rating)
    await session.flush()
