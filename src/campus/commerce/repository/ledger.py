"""Ledger queries: postings, balances and the revenue share overrides."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.models import LedgerEntry, RevenueShare
from campus.kernel.db import dialect_insert


async def insert_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(LedgerEntry), list(rows))


async def shares_for(
    session: AsyncSession, course_ids: Collection[uuid.UUID], instructor_ids: Collection[uuid.UUID]
) -> dict[tuple[str, uuid.UUID], int]:
    """The overrides of these courses and instructors: ``(scope, subject_id) -> bp``."""
    subjects = list(course_ids) + list(instructor_ids)
    if not subjects:
        return {}
    rows = await session.execute(
        sa.select(
            RevenueShare.scope, RevenueShare.subject_id, RevenueShare.platform_share_bp
        ).where(RevenueShare.subject_id.in_(subjects))
    )
    return {(scope, subject): int(bp) for scope, subject, bp in rows}


async def upsert_share(
    session: AsyncSession, *, scope: str, subject_id: uuid.UUID, bp: int, now: datetime
) -> None:
    statement = dialect_insert(session, RevenueShare).values(
        id=uuid.uuid4(),
        scope=scope,
        subject_id=subject_id,
        platform_share_bp=bp,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["scope", "subject_id"],
            set_={"platform_share_bp": bp, "updated_at": now},
        )
    )


async def list_shares(session: AsyncSession) -> list[RevenueShare]:
    rows = await session.scalars(
        sa.select(RevenueShare)
        .order_by(RevenueShare.scope, RevenueShare.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def instructor_balances(
    session: AsyncSession, *, earned_before: datetime
) -> list[tuple[uuid.UUID, str, int]]:
    """Every instructor's balance per currency: the credits minus debits of their account
    from sales and refunds posted before ``earned_before``, and from every payout posting
    whenever it was made (a payout always counts against what it paid)."""
    balance = sa.func.sum(LedgerEntry.credit_minor - LedgerEntry.debit_minor)
    rows = await session.execute(
        sa.select(LedgerEntry.instructor_id, LedgerEntry.currency, balance)
        .where(
            LedgerEntry.account.like("instructor:%"),
            LedgerEntry.instructor_id.is_not(None),
            sa.or_(
                LedgerEntry.kind.in_(("payout", "payout_return")),
                LedgerEntry.created_at < earned_before,
            ),
        )
        .group_by(LedgerEntry.instructor_id, LedgerEntry.currency)
    )
    return [(i, c, int(b or 0)) for i, c, b in rows if i is not None]


async def instructor_entries(
    session: AsyncSession,
    instructor_id: uuid.UUID,
    *,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    currency: str | None = None,
) -> list[LedgerEntry]:
    """The entries of one instructor's account, oldest first."""
    where: list[sa.ColumnElement[bool]] = [LedgerEntry.account == f"instructor:{instructor_id}"]
    if created_from is not None:
        where.append(LedgerEntry.created_at >= created_from)
    if created_to is not None:
        where.append(LedgerEntry.created_at < created_to)
    if currency is not None:
        where.append(LedgerEntry.currency == currency)
    rows = await session.scalars(
        sa.select(LedgerEntry).where(*where).order_by(LedgerEntry.created_at, LedgerEntry.id)
    )
    return list(rows)


async def instructor_sale_breakdown(
    session: AsyncSession, instructor_id: uuid.UUID
) -> list[tuple[str, str, uuid.UUID | None, str, int, int]]:
    """(kind, account, course_id, currency, debit, credit) summed over the postings of sales
    and refunds that touched this instructor's lines, per account and course."""
    rows = await session.execute(
        sa.select(
            LedgerEntry.kind,
            LedgerEntry.account,
            LedgerEntry.course_id,
            LedgerEntry.currency,
            sa.func.sum(LedgerEntry.debit_minor),
            sa.func.sum(LedgerEntry.credit_minor),
        )
        .where(
            LedgerEntry.instructor_id == instructor_id,
            LedgerEntry.kind.in_(("sale", "refund")),
        )
        .group_by(
            LedgerEntry.kind, LedgerEntry.account, LedgerEntry.course_id, LedgerEntry.currency
        )
    )
    return [(k, a, c, cur, int(d or 0), int(cr or 0)) for k, a, c, cur, d, cr in rows]


async def postings_sums(session: AsyncSession) -> list[tuple[uuid.UUID, str, int, int]]:
    """(posting_id, currency, debits, credits) of every posting."""
    rows = await session.execute(
        sa.select(
            LedgerEntry.posting_id,
            LedgerEntry.currency,
            sa.func.sum(LedgerEntry.debit_minor),
            sa.func.sum(LedgerEntry.credit_minor),
        ).group_by(LedgerEntry.posting_id, LedgerEntry.currency)
    )
    return [(p, c, int(d or 0), int(cr or 0)) for p, c, d, cr in rows]


async def entries_of_order(session: AsyncSession, order_id: uuid.UUID) -> list[LedgerEntry]:
    rows = await session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.order_id == order_id)
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    )
    return list(rows)
