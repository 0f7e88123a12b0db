"""Every query of credentials' certificates, rules, counters and keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.credentials.models import (
    Certificate,
    CertificateHistory,
    CertificateRule,
    CertificateTemplate,
    CertificateVerification,
    Counter,
    IssuerKey,
    PassedItem,
)
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def get(session: AsyncSession, certificate_id: uuid.UUID) -> Certificate | None:
    return await session.get(Certificate, certificate_id, populate_existing=True)


async def by_public_id(session: AsyncSession, public_id: str) -> Certificate | None:
    found = await session.execute(sa.select(Certificate).where(Certificate.public_id == public_id))
    return found.scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> Certificate | None:
    found = await session.execute(
        sa.select(Certificate).where(Certificate.verification_code == code)
    )
    return found.scalar_one_or_none()


async def for_user_version(
    session: AsyncSession, user_id: uuid.UUID, version_id: uuid.UUID
) -> Certificate | None:
    found = await session.execute(
        sa.select(Certificate).where(
            Certificate.user_id == user_id, Certificate.version_id == version_id
        )
    )
    return found.scalar_one_or_none()


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless the learner already has this version's certificate (or, rarely, the
    random number or ids are taken); True when inserted."""
    result = await session.execute(
        dialect_insert(session, Certificate).values(**values).on_conflict_do_nothing()
    )
    return rowcount(result) == 1


async def list_for_user(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Certificate], int]:
    where = (Certificate.user_id == user_id, Certificate.status != "rejected")
    total = await session.scalar(sa.select(sa.func.count()).select_from(Certificate).where(*where))
    rows = await session.execute(
        sa.select(Certificate)
        .where(*where)
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total or 0)


async def list_for_course(
    session: AsyncSession, course_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[list[Certificate], int]:
    where: list[sa.ColumnElement[bool]] = [Certificate.course_id == course_id]
    if status is not None:
        where.append(Certificate.status == status)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Certificate).where(*where))
    rows = await session.execute(
        sa.select(Certificate)
        .where(*where)
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total or 0)


async def issued_for_user_course(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> list[Certificate]:
    rows = await session.execute(
        sa.select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.status == "issued",
        )
    )
    return list(rows.scalars())


async def transition(
    session: AsyncSession, certificate_id: uuid.UUID, from_status: str, values: dict[str, Any]
) -> bool:
    """A conditional update: only a certificate still in ``from_status`` moves."""
    result = await session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.status == from_status)
        .values(**values)
    )
    return rowcount(result) == 1


async def update(session: AsyncSession, certificate_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(
        sa.update(Certificate).where(Certificate.id == certificate_id).values(**values)
    )


async def record_rendered(
    session: AsyncSession, certificate_id: uuid.UUID, revision: int, values: dict[str, Any]
) -> bool:
    """Store a rendering unless a newer revision was asked for meanwhile."""
    result = await session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.revision == revision)
        .values(**values)
    )
    return rowcount(result) == 1


async def add_history(
    session: AsyncSession,
    certificate_id: uuid.UUID,
    action: str,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        CertificateHistory(
            id=new_id(),
            certificate_id=certificate_id,
            action=action,
            at=at,
            actor_id=actor_id,
            detail=detail or {},
        )
    )
    await session.flush()


async def history(session: AsyncSession, certificate_id: uuid.UUID) -> list[CertificateHistory]:
    rows = await session.execute(
        sa.select(CertificateHistory)
        .where(CertificateHistory.certificate_id == certificate_id)
        .order_by(CertificateHistory.at, CertificateHistory.id)
    )
    return list(rows.scalars())


async def count_verification(
    session: AsyncSession, certificate_id: uuid.UUID, at: datetime
) -> None:
    statement = dialect_insert(session, CertificateVerification).values(
        certificate_id=certificate_id, count=1, last_verified_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CertificateVerification.certificate_id],
            set_={
                "count": CertificateVerification.count + 1,
                "last_verified_at": statement.excluded.last_verified_at,
            },
        )
    )


async def verification(
    session: AsyncSession, certificate_id: uuid.UUID
) -> CertificateVerification | None:
    return await session.get(CertificateVerification, certificate_id, populate_existing=True)


# --------------------------------------------------------------------------- rules, items


async def rule_for_version(session: AsyncSession, version_id: uuid.UUID) -> CertificateRule | None:
    found = await session.execute(
        sa.select(CertificateRule).where(CertificateRule.version_id == version_id)
    )
    return found.scalar_one_or_none()


async def upsert_rule(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = dialect_insert(session, CertificateRule).values(id=new_id(), **values)
    changed = {k: v for k, v in values.items() if k not in ("course_id", "version_id")}
    await session.execute(
        statement.on_conflict_do_update(index_elements=[CertificateRule.version_id], set_=changed)
    )


async def record_passed(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    item_id: uuid.UUID,
    at: datetime,
) -> None:
    await session.execute(
        dialect_insert(session, PassedItem)
        .values(user_id=user_id, item_id=item_id, course_id=course_id, passed_at=at)
        .on_conflict_do_nothing()
    )


async def passed_items(
    session: AsyncSession, user_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not item_ids:
        return set()
    rows = await session.execute(
        sa.select(PassedItem.item_id).where(
            PassedItem.user_id == user_id, PassedItem.item_id.in_(list(item_ids))
        )
    )
    return set(rows.scalars())


async def next_counter(session: AsyncSession, name: str) -> int:
    """The counter's next value, in one statement: the first call creates the row at 1, every
    later one increments it under the row lock the upsert takes."""
    statement = dialect_insert(session, Counter).values(name=name, value=1)
    found = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": Counter.value + 1}
        ).returning(Counter.value)
    )
    return int(found.scalar_one())


async def revoked_indexes(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        sa.select(Certificate.status_index).where(
            Certificate.status == "revoked", Certificate.status_index.is_not(None)
        )
    )
    return [int(i) for i in rows.scalars() if i is not None]


# --------------------------------------------------------------------------- templates, keys


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> CertificateTemplate | None:
    return await session.get(CertificateTemplate, template_id)


async def issuer_key(session: AsyncSession, name: str) -> IssuerKey | None:
    return await session.get(IssuerKey, name)


async def insert_issuer_key(session: AsyncSession, name: str, private_hex: str) -> None:
    await session.execute(
        dialect_insert(session, IssuerKey)
        .values(name=name, private_key_hex=private_hex)
        .on_conflict_do_nothing()
    )
