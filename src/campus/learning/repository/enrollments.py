"""Enrollments and entitlements: inserts that cannot duplicate, conditional transitions."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import dialect_insert, rowcount
from campus.learning.data import ACCESS_STATUSES, EnrollmentStatus, EntitlementStatus
from campus.learning.models import Enrollment, Entitlement

_ACCESS = [s.value for s in ACCESS_STATUSES]

# --------------------------------------------------------------------------- enrollments


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert the enrollment unless (user, course) has one: the id when this call created it,
    ``None`` when another row (maybe inserted concurrently) already exists."""
    stmt = (
        dialect_insert(session, Enrollment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(Enrollment.id)
    )
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def get(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    result = await session.execute(
        sa.select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def get_for(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    result = await session.execute(
        sa.select(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def transition(
    session: AsyncSession,
    enrollment_id: uuid.UUID,
    from_statuses: Collection[str],
    values: dict[str, Any],
    *,
    same_activation: datetime | None = None,
) -> Enrollment | None:
    """Change the enrollment only if its status is still one of ``from_statuses`` (and, with
    ``same_activation``, it was not reactivated meanwhile): the winner of concurrent callers
    gets the row, the others ``None``."""
    where = [Enrollment.id == enrollment_id, Enrollment.status.in_(list(from_statuses))]
    if same_activation is not None:
        where.append(Enrollment.activated_at == same_activation)
    result = await session.execute(
        sa.update(Enrollment)
        .where(*where)
        .values(**values)
        .returning(Enrollment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def lock(
    session: AsyncSession,
    enrollment_id: uuid.UUID,
    now: datetime,
    activity_on: uuid.UUID | None = None,
) -> Enrollment | None:
    """Take the enrollment's row lock (by touching it; with ``activity_on``, a lesson lineage,
    also as its last activity) and read it fresh. Every progress change takes its lesson row
    first and this lock second, so concurrent completions of a learner's last lessons serialise
    here and the last one sees them all."""
    values: dict[str, Any] = {"updated_at": now}
    if activity_on is not None:
        values |= {"last_activity_at": now, "last_lesson_lineage_id": activity_on}
    result = await session.execute(
        sa.update(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .values(**values)
        .returning(Enrollment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def update(session: AsyncSession, enrollment_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        sa.update(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def mark_completed(session: AsyncSession, enrollment_id: uuid.UUID, now: datetime) -> bool:
    """Active → completed, once: only the caller that flips the row gets ``True``."""
    result = await session.execute(
        sa.update(Enrollment)
        .where(
            Enrollment.id == enrollment_id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            Enrollment.completed_at.is_(None),
        )
        .values(status=EnrollmentStatus.COMPLETED, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def touch_activity_for(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    now: datetime,
    lesson_lineage: uuid.UUID,
) -> None:
    await session.execute(
        sa.update(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
        .values(last_activity_at=now, last_lesson_lineage_id=lesson_lineage, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def count_with_access(session: AsyncSession, course_id: uuid.UUID) -> int:
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Enrollment)
        .where(Enrollment.course_id == course_id, Enrollment.status.in_(_ACCESS))
    )
    return int(count or 0)


async def course_ids(session: AsyncSession) -> list[uuid.UUID]:
    result = await session.execute(sa.select(Enrollment.course_id).distinct())
    return list(result.scalars())


async def counts_with_access(
    session: AsyncSession, course_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """``count_with_access`` of several courses in one grouped query (absent: no one)."""
    if not course_ids:
        return {}
    result = await session.execute(
        sa.select(Enrollment.course_id, sa.func.count())
        .where(Enrollment.course_id.in_(list(course_ids)), Enrollment.status.in_(_ACCESS))
        .group_by(Enrollment.course_id)
    )
    return {row[0]: int(row[1]) for row in result.all()}


async def course_ids_after(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next ``limit`` distinct course ids with any enrollment, in id order (keyset)."""
    stmt = sa.select(Enrollment.course_id).distinct().order_by(Enrollment.course_id).limit(limit)
    if after is not None:
        stmt = stmt.where(Enrollment.course_id > after)
    return list((await session.execute(stmt)).scalars())


async def count_courses(session: AsyncSession) -> int:
    """How many distinct courses have any enrollment."""
    count = await session.scalar(sa.select(sa.func.count(sa.distinct(Enrollment.course_id))))
    return int(count or 0)


async def user_ids_with_access(
    session: AsyncSession, course_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    result = await session.execute(
        sa.select(Enrollment.user_id)
        .where(
            Enrollment.course_id == course_id,
            Enrollment.status.in_(_ACCESS),
            sa.or_(Enrollment.expires_at.is_(None), Enrollment.expires_at > now),
        )
        .order_by(Enrollment.user_id)
    )
    return list(result.scalars())


async def due_expiries(session: AsyncSession, now: datetime, limit: int) -> list[Enrollment]:
    result = await session.execute(
        sa.select(Enrollment)
        .where(
            Enrollment.status.in_(_ACCESS),
            Enrollment.expires_at.is_not(None),
            Enrollment.expires_at <= now,
        )
        .order_by(Enrollment.expires_at, Enrollment.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def expire(session: AsyncSession, enrollment_id: uuid.UUID, now: datetime) -> bool:
    """Access → expired, only if still due (an extension meanwhile wins)."""
    result = await session.execute(
        sa.update(Enrollment)
        .where(
            Enrollment.id == enrollment_id,
            Enrollment.status.in_(_ACCESS),
            Enrollment.expires_at.is_not(None),
            Enrollment.expires_at <= now,
        )
        .values(status=EnrollmentStatus.EXPIRED, ended_at=now, end_reason="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def with_entitlement(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    """The learner's enrollment if it rests on an entitlement (not a free one)."""
    result = await session.execute(
        sa.select(Enrollment)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.course_id == course_id,
            Enrollment.entitlement_id.is_not(None),
        )
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


# --------------------------------------------------------------------------- entitlements


async def upsert_entitlement(session: AsyncSession, values: dict[str, Any]) -> Entitlement:
    """Grant (or renew) by natural key (user, course, source, reference)."""
    stmt = dialect_insert(session, Entitlement).values(**values)
    changes = {
        "tier": stmt.excluded.tier,
        "status": EntitlementStatus.ACTIVE.value,
        "granted_at": stmt.excluded.granted_at,
        "granted_by": stmt.excluded.granted_by,
        "expires_at": stmt.excluded.expires_at,
        "revoked_at": None,
        "revoked_by": None,
        "updated_at": stmt.excluded.updated_at,
    }
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "course_id", "source", "reference"], set_=changes
        )
        .returning(Entitlement)
        .execution_options(populate_existing=True)
    )
    row: Entitlement = result.scalar_one()
    return row


async def active_entitlements(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, now: datetime
) -> list[Entitlement]:
    """Live entitlements, the most generous first (no expiry, then the latest expiry)."""
    result = await session.execute(
        sa.select(Entitlement)
        .where(
            Entitlement.user_id == user_id,
            Entitlement.course_id == course_id,
            Entitlement.status == EntitlementStatus.ACTIVE,
            sa.or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now),
        )
        .order_by(Entitlement.expires_at.is_(None).desc(), Entitlement.expires_at.desc())
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def get_entitlement(session: AsyncSession, entitlement_id: uuid.UUID) -> Entitlement | None:
    result = await session.execute(
        sa.select(Entitlement)
        .where(Entitlement.id == entitlement_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def revoke_entitlements(
    session: AsyncSession,
    where: Sequence[sa.ColumnElement[bool]],
    now: datetime,
    revoked_by: uuid.UUID | None,
) -> list[Entitlement]:
    result = await session.execute(
        sa.update(Entitlement)
        .where(*where, Entitlement.status == EntitlementStatus.ACTIVE)
        .values(status=EntitlementStatus.REVOKED, revoked_at=now, revoked_by=revoked_by)
        .returning(Entitlement)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return list(result.scalars())


async def entitlements_page(
    session: AsyncSession, course_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[Entitlement], int]:
    where = Entitlement.course_id == course_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Entitlement).where(where))
    result = await session.execute(
        sa.select(Entitlement)
        .where(where)
        .order_by(Entitlement.granted_at.desc(), Entitlement.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result.scalars()), int(total or 0)
