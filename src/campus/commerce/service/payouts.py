"""Instructor payouts: monthly periods computed from the ledger, sent through a payout port.

A period's payout to an instructor, per currency, is their account's balance from the sales
and refunds posted before the period's end, minus every payout already taken out of it: so a
refund posted after a payout lowers the next one (it is carried), a balance under
``CAMPUS_COMMERCE_PAYOUT_MINIMUM_MINOR`` waits for a later period, and computing a period twice
(the monthly job and ``POST /admin/payouts/run``, or two of either) creates each payout once
(unique per period, instructor and currency; insert-or-ignore), and runs are serialised (an
advisory lock on PostgreSQL), so a run always sees what the run before it paid. A payout is created
``pending`` with its ledger posting, and a job sends it through the ``PayoutProvider``
(idempotent by payout id): ``completed`` publishes ``PayoutCompleted``; ``failed`` returns the
amount to the instructor's account for the next period."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import PAYOUT_MANAGE
from campus.commerce.events import EXECUTE_PAYOUT_JOB, PayoutCompleted
from campus.commerce.exceptions import PayoutNotFound, PayoutPeriodOpen
from campus.commerce.models import LedgerEntry, Payout, PayoutPeriod
from campus.commerce.repository import ledger as ledger_repo
from campus.commerce.repository import payouts as repo
from campus.commerce.service import ledger
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job

log = get_logger("campus.commerce.payouts")

#: The payout job looks daily for the month that ended; it computes each month once.
RUN_EVERY = timedelta(days=1)


# --------------------------------------------------------------------------- the port


@dataclass(frozen=True, slots=True)
class PayoutResult:
    succeeded: bool
    reference: str | None
    failure: str | None = None


class PayoutProvider(Protocol):
    """Sends money to an instructor (bank transfer, PayPal payouts, Stripe Connect). ``send``
    is idempotent by ``idempotency_key``: a repeat answers the first result."""

    name: str

    async def send(
        self,
        *,
        instructor_id: uuid.UUID,
        amount_minor: int,
        currency: str,
        method: str,
        idempotency_key: str,
    ) -> PayoutResult: ...


class SandboxPayoutProvider:
    """The embedded payout provider: accepts every payout up to ``limit_minor`` with a
    deterministic reference, refuses larger ones (``amount_over_limit``). Nothing moves."""

    name = "sandbox"

    def __init__(self, limit_minor: int = 10**9) -> None:
        self.limit_minor = limit_minor

    async def send(
        self,
        *,
        instructor_id: uuid.UUID,
        amount_minor: int,
        currency: str,
        method: str,
        idempotency_key: str,
    ) -> PayoutResult:
        if amount_minor > self.limit_minor:
            return PayoutResult(succeeded=False, reference=None, failure="amount_over_limit")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return PayoutResult(succeeded=True, reference=f"po_sandbox_{digest}")


def provider_for(settings: Settings) -> PayoutProvider:
    """The deployment's payout provider: the sandbox for every method (the method is
    recorded on each payout; real providers plug in here)."""
    del settings
    return SandboxPayoutProvider()


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class PayoutRecord:
    id: uuid.UUID
    instructor_id: uuid.UUID
    period_start: datetime
    period_end: datetime
    currency: str
    amount_minor: int
    status: str
    method: str
    reference: str | None
    failure: str | None
    created_at: datetime
    executed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PayoutRun:
    period_start: datetime
    period_end: datetime
    created: int
    payouts: tuple[PayoutRecord, ...]


def record_of(payout: Payout, period: PayoutPeriod) -> PayoutRecord:
    return PayoutRecord(
        id=payout.id,
        instructor_id=payout.instructor_id,
        period_start=period.starts_at,
        period_end=period.ends_at,
        currency=payout.currency,
        amount_minor=payout.amount_minor,
        status=payout.status,
        method=payout.method,
        reference=payout.reference,
        failure=payout.failure,
        created_at=payout.created_at,
        executed_at=payout.executed_at,
    )


async def _records(session: AsyncSession, rows: list[Payout]) -> list[PayoutRecord]:
    found = await repo.periods(session, list({p.period_id for p in rows}))
    return [record_of(p, found[p.period_id]) for p in rows]


# --------------------------------------------------------------------------- periods


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(now: datetime) -> tuple[int, int]:
    return (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)


async def run_period(
    session: AsyncSession, settings: Settings, *, year: int, month: int
) -> PayoutRun:
    """Compute the payouts of a month that has ended (409 ``payout_period_open`` otherwise);
    idempotent per instructor and currency."""
    now = utcnow()
    start, end = month_span(year, month)
    if end > now:
        raise PayoutPeriodOpen(details={"periodEnd": end.isoformat()})
    config = CommerceSettings.of(settings)
    await repo.lock_runs(session)
    period = await repo.ensure_period(session, starts_at=start, ends_at=end, now=now)
    created = 0
    for instructor_id, currency, balance in await ledger_repo.instructor_balances(
        session, earned_before=end
    ):
        if balance <= 0 or balance < config.payout_minimum_minor:
            continue
        payout_id = new_id()
        inserted = await repo.insert_payout(
            session,
            {
                "id": payout_id,
                "period_id": period.id,
                "instructor_id": instructor_id,
                "currency": currency,
                "amount_minor": balance,
                "status": "pending",
                "method": config.payout_method,
                "created_at": now,
            },
        )
        if not inserted:
            continue
        created += 1
        await ledger.post_payout(
            session,
            payout_id=payout_id,
            instructor_id=instructor_id,
            amount_minor=balance,
            currency=currency,
            returned=False,
            now=now,
        )
        await enqueue_job(session, EXECUTE_PAYOUT_JOB, {"payoutId": str(payout_id)})
    await repo.mark_computed(session, period.id, now)
    log.info("payout_period_computed", period=start.date().isoformat(), created=created)
    payouts = await _records(session, await repo.of_period(session, period.id))
    return PayoutRun(period_start=start, period_end=end, created=created, payouts=tuple(payouts))


async def run_for_admin(
    session: AsyncSession, principal: Principal, settings: Settings, *, year: int, month: int
) -> PayoutRun:
    principal.require(PAYOUT_MANAGE)
    return await run_period(session, settings, year=year, month=month)


async def run_due(session: AsyncSession, settings: Settings) -> None:
    """The monthly job: compute the month that ended last, unless it has been."""
    year, month = previous_month(utcnow())
    start, _ = month_span(year, month)
    if not await repo.period_computed(session, start):
        await run_period(session, settings, year=year, month=month)


async def execute(
    session: AsyncSession, provider: PayoutProvider, payout_id: uuid.UUID
) -> PayoutRecord | None:
    """Send a pending payout (the job); a settled one is left as it is."""
    payout = await repo.get(session, payout_id)
    if payout is None or payout.status != "pending":
        return None
    result = await provider.send(
        instructor_id=payout.instructor_id,
        amount_minor=payout.amount_minor,
        currency=payout.currency,
        method=payout.method,
        idempotency_key=f"payout:{payout.id}",
    )
    now = utcnow()
    status = "completed" if result.succeeded else "failed"
    if not await repo.settle(
        session,
        payout.id,
        status=status,
        reference=result.reference,
        failure=result.failure,
        now=now,
    ):
        return None
    period = await repo.get_period(session, payout.period_id)
    assert period is not None
    if result.succeeded:
        await publish(
            session,
            PayoutCompleted(
                payout_id=payout.id,
                instructor_id=payout.instructor_id,
                period_start=period.starts_at,
                period_end=period.ends_at,
                amount_minor=payout.amount_minor,
                currency=payout.currency,
                method=payout.method,
                reference=result.reference or "",
                completed_at=now,
            ),
        )
        log.info("payout_completed", payout_id=str(payout.id), amount_minor=payout.amount_minor)
    else:
        await ledger.post_payout(
            session,
            payout_id=payout.id,
            instructor_id=payout.instructor_id,
            amount_minor=payout.amount_minor,
            currency=payout.currency,
            returned=True,
            now=now,
        )
        log.warning("payout_failed", payout_id=str(payout.id), failure=result.failure)
    fresh = await repo.get(session, payout.id)
    assert fresh is not None
    return record_of(fresh, period)


# --------------------------------------------------------------------------- reading


async def list_all(
    session: AsyncSession,
    principal: Principal,
    *,
    instructor_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[PayoutRecord], int]:
    principal.require(PAYOUT_MANAGE)
    rows, total = await repo.list_payouts(
        session, limit=limit, offset=offset, instructor_id=instructor_id, status=status
    )
    return await _records(session, rows), total


async def list_mine(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> tuple[list[PayoutRecord], int]:
    rows, total = await repo.list_payouts(
        session, limit=limit, offset=offset, instructor_id=principal.user_id
    )
    return await _records(session, rows), total


@dataclass(frozen=True, slots=True)
class StatementLine:
    at: datetime
    kind: str
    order_id: uuid.UUID | None
    course_id: uuid.UUID | None
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Statement:
    """What one payout paid: the period's earnings and refunds line by line, plus what was
    carried in from before (``amount = carried_in + earned - refunded``)."""

    payout: PayoutRecord
    carried_in_minor: int
    earned_minor: int
    refunded_minor: int
    lines: tuple[StatementLine, ...]


async def statement(session: AsyncSession, principal: Principal, payout_id: uuid.UUID) -> Statement:
    """The statement of one of the caller's payouts (another instructor's is a 404; holders
    of ``payout:manage`` read every one)."""
    payout = await repo.get(session, payout_id)
    if payout is None or (
        payout.instructor_id != principal.user_id and not principal.has(PAYOUT_MANAGE)
    ):
        raise PayoutNotFound()
    period = await repo.get_period(session, payout.period_id)
    assert period is not None
    entries: list[LedgerEntry] = await ledger_repo.instructor_entries(
        session,
        payout.instructor_id,
        created_from=period.starts_at,
        created_to=period.ends_at,
        currency=payout.currency,
    )
    lines = tuple(
        StatementLine(
            at=e.created_at,
            kind=e.kind,
            order_id=e.order_id,
            course_id=e.course_id,
            amount_minor=e.credit_minor - e.debit_minor,
        )
        for e in entries
        if e.kind in ("sale", "refund")
    )
    earned = sum(line.amount_minor for line in lines if line.kind == "sale")
    refunded = -sum(line.amount_minor for line in lines if line.kind == "refund")
    return Statement(
        payout=record_of(payout, period),
        carried_in_minor=payout.amount_minor - earned + refunded,
        earned_minor=earned,
        refunded_minor=refunded,
        lines=lines,
    )


# --------------------------------------------------------------------------- earnings


@dataclass(frozen=True, slots=True)
class EarningsFigures:
    """Amounts of one currency (and one course, in ``courses``): ``gross`` paid by buyers
    for the instructor's lines, ``refunds`` given back, ``tax``, the ``platform`` share and
    the instructor's ``net`` (after refunds); ``paid_out`` and ``pending`` payouts, and what
    is ``available`` for the next payout."""

    currency: str
    course_id: uuid.UUID | None
    gross_minor: int
    refunds_minor: int
    tax_minor: int
    platform_minor: int
    net_minor: int
    paid_out_minor: int
    pending_minor: int
    available_minor: int


@dataclass(frozen=True, slots=True)
class Earnings:
    instructor_id: uuid.UUID
    currencies: tuple[EarningsFigures, ...]
    courses: tuple[EarningsFigures, ...]


async def earnings(session: AsyncSession, principal: Principal) -> Earnings:
    """The caller's earnings (an account without sales sees zero everywhere)."""
    me = principal.user_id
    own = ledger.instructor_account(me)
    sums: dict[tuple[str, uuid.UUID | None], dict[str, int]] = {}
    for (
        kind,
        account,
        course_id,
        currency,
        debit,
        credit,
    ) in await ledger_repo.instructor_sale_breakdown(session, me):
        for key in ((currency, None), (currency, course_id)):
            bucket = sums.setdefault(
                key, {"gross": 0, "refunds": 0, "tax": 0, "platform": 0, "net": 0}
            )
            if account == ledger.GATEWAY_CLEARING:
                bucket["gross" if kind == "sale" else "refunds"] += debit + credit
            elif account == ledger.TAX:
                bucket["tax"] += credit - debit
            elif account == ledger.PLATFORM:
                bucket["platform"] += credit - debit
            elif account == own:
                bucket["net"] += credit - debit
    paid: dict[tuple[str, str], int] = {
        (status, currency): amount for status, currency, amount in await repo.totals_of(session, me)
    }

    def figures(currency: str, course_id: uuid.UUID | None, b: dict[str, int]) -> EarningsFigures:
        paid_out = paid.get(("completed", currency), 0) if course_id is None else 0
        pending = paid.get(("pending", currency), 0) if course_id is None else 0
        return EarningsFigures(
            currency=currency,
            course_id=course_id,
            gross_minor=b["gross"],
            refunds_minor=b["refunds"],
            tax_minor=b["tax"],
            platform_minor=b["platform"],
            net_minor=b["net"],
            paid_out_minor=paid_out,
            pending_minor=pending,
            available_minor=b["net"] - paid_out - pending if course_id is None else 0,
        )

    currencies = sorted({c for c, _ in sums} | {c for _, c in paid})
    empty = {"gross": 0, "refunds": 0, "tax": 0, "platform": 0, "net": 0}
    return Earnings(
        instructor_id=me,
        currencies=tuple(figures(c, None, sums.get((c, None), empty)) for c in currencies),
        courses=tuple(
            figures(c, course, b)
            for (c, course), b in sorted(sums.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
            if course is not None
        ),
    )


async def seed_demo(
    session: AsyncSession, settings: Settings, instructor_ids: list[uuid.UUID]
) -> PayoutRun:
    """Demo data: the month that ended last is computed (its period exists, and each demo
    instructor with a balance has a payout, sent by the job), and the first demo instructor
    gets a 25 % platform share override. Idempotent: running it again creates nothing new."""
    for instructor_id in instructor_ids[:1]:
        await ledger_repo.upsert_share(
            session, scope="instructor", subject_id=instructor_id, bp=2500, now=utcnow()
        )
    year, month = previous_month(utcnow())
    return await run_period(session, settings, year=year, month=month)
