"""The earnings ledger: double-entry postings for sales, refunds and payouts.

A paid order's line of gross ``G`` (what the buyer paid for it), tax ``T`` and net ``N = G - T``
posts: debit ``gateway_clearing`` G; credit ``tax`` T; credit ``platform`` P; credit
``instructor:<id>`` I, where ``P = round(N * share_bp / 10000)`` (half up) and ``I = N - P``. A
line without an instructor credits all of N to ``platform``. The share is the course's
override, else the instructor's, else ``CAMPUS_COMMERCE_PLATFORM_SHARE_PERCENT``.

A refund reverses proportionally and cumulatively: the order's refunded total so far is
allocated over the lines by their gross (largest remainder, ties to the earlier line), each
line's part split into tax and platform (rounded down) and instructor (the rest); the refund
posts the difference between that allocation and the previous one. So every posting balances,
and a full refund, however it was split, reverses the sale exactly. All integers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import PAYOUT_MANAGE, OrderLineRecord, OrderRecord
from campus.commerce.repository import ledger as repo
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id

GATEWAY_CLEARING = "gateway_clearing"
TAX = "tax"
PLATFORM = "platform"
PAYOUTS = "payouts"


def instructor_account(instructor_id: uuid.UUID) -> str:
    return f"instructor:{instructor_id}"


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over ``weights`` proportionally in integers: floors first, then the
    remainder one unit at a time to the largest fractional parts (ties: the earlier index).
    ``allocate(sum(w), w) == w``."""
    total = sum(weights)
    if total <= 0:
        out = [0] * len(weights)
        if out:
            out[0] = amount
        return out
    floors = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def share_of(net: int, bp: int) -> int:
    """The platform's part of ``net`` at ``bp`` basis points, rounded half up."""
    return (net * bp + 5000) // 10000


@dataclass(frozen=True, slots=True)
class LineSplit:
    """Where a line's money goes: ``gross = tax + platform + instructor``."""

    line_id: uuid.UUID
    course_id: uuid.UUID
    instructor_id: uuid.UUID | None
    gross: int
    tax: int
    platform: int
    instructor: int


async def share_bps(
    session: AsyncSession, settings: Settings, lines: Sequence[OrderLineRecord]
) -> dict[uuid.UUID, int]:
    """The platform share (bp) of each line: course override, instructor override, default."""
    default = CommerceSettings.of(settings).platform_share_percent * 100
    overrides = await repo.shares_for(
        session,
        {line.course_id for line in lines},
        {line.instructor_id for line in lines if line.instructor_id is not None},
    )
    out: dict[uuid.UUID, int] = {}
    for line in lines:
        bp = overrides.get(("course", line.course_id))
        if bp is None and line.instructor_id is not None:
            bp = overrides.get(("instructor", line.instructor_id))
        out[line.id] = default if bp is None else bp
    return out


def split_lines(lines: Sequence[OrderLineRecord], bps: dict[uuid.UUID, int]) -> list[LineSplit]:
    out = []
    for line in lines:
        net = line.total_minor - line.tax_minor
        platform = net if line.instructor_id is None else share_of(net, bps[line.id])
        out.append(
            LineSplit(
                line_id=line.id,
                course_id=line.course_id,
                instructor_id=line.instructor_id,
                gross=line.total_minor,
                tax=line.tax_minor,
                platform=platform,
                instructor=net - platform,
            )
        )
    return out


def refunded_part(splits: Sequence[LineSplit], refunded: int) -> list[LineSplit]:
    """The part of each line that ``refunded`` (the order's cumulative refunds) takes back."""
    parts = allocate(refunded, [s.gross for s in splits])
    out = []
    for split, part in zip(splits, parts, strict=True):
        if split.gross == 0:
            tax = platform = 0
        else:
            tax = split.tax * part // split.gross
            platform = split.platform * part // split.gross
        if split.instructor_id is None:
            platform = part - tax
        out.append(
            LineSplit(
                line_id=split.line_id,
                course_id=split.course_id,
                instructor_id=split.instructor_id,
                gross=part,
                tax=tax,
                platform=platform,
                instructor=part - tax - platform,
            )
        )
    return out


def difference(now: Sequence[LineSplit], before: Sequence[LineSplit]) -> list[LineSplit]:
    return [
        LineSplit(
            line_id=a.line_id,
            course_id=a.course_id,
            instructor_id=a.instructor_id,
            gross=a.gross - b.gross,
            tax=a.tax - b.tax,
            platform=a.platform - b.platform,
            instructor=a.instructor - b.instructor,
        )
        for a, b in zip(now, before, strict=True)
    ]


def _entries(
    splits: Sequence[LineSplit],
    *,
    kind: str,
    order: OrderRecord,
    refund_id: uuid.UUID | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The posting of ``splits``: a sale credits the shares and debits the gateway; a refund
    (``kind='refund'``) the other way round. Zero amounts are left out."""
    posting_id = new_id()
    sale = kind == "sale"
    rows: list[dict[str, Any]] = []

    def add(account: str, amount: int, *, credit: bool, split: LineSplit) -> None:
        if amount == 0:
            return
        if amount < 0:  # a line whose rounding moved back a unit: the other side
            amount, credit = -amount, not credit
        rows.append(
            {
                "id": new_id(),
                "posting_id": posting_id,
                "kind": kind,
                "order_id": order.id,
                "refund_id": refund_id,
                "payout_id": None,
                "course_id": split.course_id,
                "instructor_id": split.instructor_id,
                "account": account,
                "debit_minor": 0 if credit else amount,
                "credit_minor": amount if credit else 0,
                "currency": order.currency,
                "created_at": now,
            }
        )

    for split in splits:
        add(GATEWAY_CLEARING, split.gross, credit=not sale, split=split)
        add(TAX, split.tax, credit=sale, split=split)
        add(PLATFORM, split.platform, credit=sale, split=split)
        if split.instructor_id is not None:
            add(instructor_account(split.instructor_id), split.instructor, credit=sale, split=split)
    return rows


async def post_sale(
    session: AsyncSession, settings: Settings, order: OrderRecord, *, now: datetime
) -> list[LineSplit]:
    """Post a paid order's sale (the caller guarantees once per order)."""
    splits = split_lines(order.lines, await share_bps(session, settings, order.lines))
    await repo.insert_entries(
        session, _entries(splits, kind="sale", order=order, refund_id=None, now=now)
    )
    return splits


async def sale_splits(session: AsyncSession, order: OrderRecord) -> list[LineSplit]:
    """How the order's sale was split, line by line, as it was posted."""
    posted: dict[uuid.UUID, dict[str, int]] = {}
    for entry in await repo.entries_of_order(session, order.id):
        if entry.kind != "sale" or entry.course_id is None:
            continue
        sums = posted.setdefault(entry.course_id, {"gross": 0, "tax": 0, "platform": 0})
        if entry.account == GATEWAY_CLEARING:
            sums["gross"] += entry.debit_minor
        elif entry.account == TAX:
            sums["tax"] += entry.credit_minor
        elif entry.account == PLATFORM:
            sums["platform"] += entry.credit_minor
    out = []
    for line in order.lines:
        sums = posted.get(line.course_id, {"gross": 0, "tax": 0, "platform": 0})
        out.append(
            LineSplit(
                line_id=line.id,
                course_id=line.course_id,
                instructor_id=line.instructor_id,
                gross=sums["gross"],
                tax=sums["tax"],
                platform=sums["platform"],
                instructor=sums["gross"] - sums["tax"] - sums["platform"],
            )
        )
    return out


async def post_refund(
    session: AsyncSession,
    order: OrderRecord,
    *,
    refund_id: uuid.UUID,
    refunded_before: int,
    refunded_after: int,
    now: datetime,
) -> list[LineSplit]:
    """Post the reversal of one refund: what ``refunded_after`` takes back minus what
    ``refunded_before`` already took (the caller guarantees once per refund, in order). The
    lines' splits are read back from the sale's posting, so a share changed since the sale
    does not change what its refunds take back."""
    splits = await sale_splits(session, order)
    delta = difference(
        refunded_part(splits, refunded_after), refunded_part(splits, refunded_before)
    )
    await repo.insert_entries(
        session, _entries(delta, kind="refund", order=order, refund_id=refund_id, now=now)
    )
    return delta


async def post_payout(
    session: AsyncSession,
    *,
    payout_id: uuid.UUID,
    instructor_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    returned: bool,
    now: datetime,
) -> None:
    """A payout takes its amount out of the instructor's account (``payout``); a failed one
    puts it back (``payout_return``), so it is paid with the next period."""
    posting_id = new_id()
    account = instructor_account(instructor_id)
    kind = "payout_return" if returned else "payout"
    common = {
        "posting_id": posting_id,
        "kind": kind,
        "order_id": None,
        "refund_id": None,
        "payout_id": payout_id,
        "course_id": None,
        "instructor_id": instructor_id,
        "currency": currency,
        "created_at": now,
    }
    rows = [
        {
            **common,
            "id": new_id(),
            "account": account,
            "debit_minor": 0 if returned else amount_minor,
            "credit_minor": amount_minor if returned else 0,
        },
        {
            **common,
            "id": new_id(),
            "account": PAYOUTS,
            "debit_minor": amount_minor if returned else 0,
            "credit_minor": 0 if returned else amount_minor,
        },
    ]
    await repo.insert_entries(session, rows)


# --------------------------------------------------------------------------- revenue shares


@dataclass(frozen=True, slots=True)
class RevenueShareRecord:
    id: uuid.UUID
    scope: str
    subject_id: uuid.UUID
    platform_share_bp: int
    updated_at: datetime


async def set_share(
    session: AsyncSession, principal: Principal, *, scope: str, subject_id: uuid.UUID, bp: int
) -> RevenueShareRecord:
    """Set the platform's share for a course or an instructor (an upsert); sales posted
    from now on use it, earlier postings keep theirs."""
    principal.require(PAYOUT_MANAGE)
    await repo.upsert_share(session, scope=scope, subject_id=subject_id, bp=bp, now=utcnow())
    found = [s for s in await list_shares(session, principal) if s.subject_id == subject_id]
    return next(s for s in found if s.scope == scope)


async def list_shares(session: AsyncSession, principal: Principal) -> list[RevenueShareRecord]:
    principal.require(PAYOUT_MANAGE)
    return [
        RevenueShareRecord(
            id=row.id,
            scope=row.scope,
            subject_id=row.subject_id,
            platform_share_bp=row.platform_share_bp,
            updated_at=row.updated_at,
        )
        for row in await repo.list_shares(session)
    ]
