"""Coupons and promo codes: the rules that decide whether a coupon applies and what it takes
off, and their management by admins (every coupon) and instructors (their own, for courses
they teach).

A coupon is ``percent`` (basis points) or ``fixed`` (an amount in one currency). It applies
within its validity window, while it has uses left (global ``usage_limit``) and the buyer has
uses left (``per_user_limit``, 1 by default), to an order whose subtotal reaches
``min_order_minor``, to the lines it is restricted to (courses, categories, instructors; an
instructor's coupon only to that instructor's courses), and for ``first_purchase_only``
coupons only to a buyer who never paid an order. One coupon per order.

The limits are checked when quoting and enforced at checkout by the statements that take the
use (a conditional UPDATE of the global count, a guarded upsert of the buyer's count), never
by a read followed by a write."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.commerce.data import COUPON_MANAGE_ANY, COUPON_MANAGE_OWN, CouponKind
from campus.commerce.exceptions import (
    CouponCodeTaken,
    CouponExhausted,
    CouponInvalid,
    CouponNotFound,
    NotCourseInstructor,
)
from campus.commerce.models import Coupon
from campus.commerce.policies import may_manage_coupon
from campus.commerce.repository import coupons as repo
from campus.commerce.repository import orders as orders_repo
from campus.commerce.service.tax import BP, allocate, divide_half_up
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class CouponRecord:
    id: uuid.UUID
    code: str
    description: str | None
    kind: CouponKind
    percent_bp: int | None
    amount_off_minor: int | None
    currency: str | None
    min_order_minor: int | None
    starts_at: datetime
    ends_at: datetime | None
    usage_limit: int | None
    used_count: int
    per_user_limit: int | None
    course_ids: tuple[uuid.UUID, ...]
    category_ids: tuple[uuid.UUID, ...]
    instructor_ids: tuple[uuid.UUID, ...]
    first_purchase_only: bool
    stackable: bool
    owner_id: uuid.UUID | None
    active: bool
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


def _ids(values: Sequence[str] | None) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(str(v)) for v in values or ())


def record_of(coupon: Coupon) -> CouponRecord:
    return CouponRecord(
        id=coupon.id,
        code=coupon.code,
        description=coupon.description,
        kind=CouponKind(coupon.kind),
        percent_bp=coupon.percent_bp,
        amount_off_minor=coupon.amount_off_minor,
        currency=coupon.currency,
        min_order_minor=coupon.min_order_minor,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        usage_limit=coupon.usage_limit,
        used_count=coupon.used_count,
        per_user_limit=coupon.per_user_limit,
        course_ids=_ids(coupon.course_ids),
        category_ids=_ids(coupon.category_ids),
        instructor_ids=_ids(coupon.instructor_ids),
        first_purchase_only=coupon.first_purchase_only,
        stackable=coupon.stackable,
        owner_id=coupon.owner_id,
        active=coupon.active,
        created_by=coupon.created_by,
        created_at=coupon.created_at,
        updated_at=coupon.updated_at,
    )


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line as the coupon rules see it."""

    course_id: uuid.UUID
    price_minor: int
    category_id: uuid.UUID | None
    instructor_ids: tuple[uuid.UUID, ...]


def invalid(reason: str, **details: Any) -> CouponInvalid:
    return CouponInvalid(details={"reason": reason, **details})


def _applies_to(coupon: CouponRecord, line: PricedLine) -> bool:
    if coupon.course_ids and line.course_id not in coupon.course_ids:
        return False
    if coupon.category_ids and line.category_id not in coupon.category_ids:
        return False
    if coupon.instructor_ids and not set(coupon.instructor_ids) & set(line.instructor_ids):
        return False
    return coupon.owner_id is None or coupon.owner_id in line.instructor_ids


def user_limit(coupon: CouponRecord) -> int | None:
    """How many open or paid orders of one buyer may carry the coupon. A first-purchase
    coupon holds for one order whatever its ``per_user_limit``: the buyer's first order is
    not paid yet when a second is placed, so "never paid an order" alone would let every
    order placed before the first payment carry it."""
    if coupon.first_purchase_only:
        return 1 if coupon.per_user_limit is None else min(coupon.per_user_limit, 1)
    return coupon.per_user_limit


async def find_usable(
    session: AsyncSession, code: str, user_id: uuid.UUID, now: datetime
) -> CouponRecord:
    """The coupon behind ``code`` if it may be used by ``user_id`` now (window, limits,
    first purchase); 404 ``coupon_not_found`` or 409 ``coupon_invalid``/``coupon_exhausted``."""
    found = await repo.get_by_code(session, code)
    if found is None:
        raise CouponNotFound()
    coupon = record_of(found)
    if not coupon.active:
        raise invalid("inactive")
    if now < coupon.starts_at:
        raise invalid("not_started", startsAt=coupon.starts_at.isoformat())
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise invalid("expired", endedAt=coupon.ends_at.isoformat())
    if coupon.usage_limit is not None and coupon.used_count >= coupon.usage_limit:
        raise CouponExhausted()
    limit = user_limit(coupon)
    if limit is not None and await repo.user_uses(session, coupon.id, user_id) >= limit:
        raise invalid("per_user_limit_reached")
    if coupon.first_purchase_only and await orders_repo.has_paid_order(session, user_id):
        raise invalid("first_purchase_only")
    return coupon


def discounts(coupon: CouponRecord, currency: str, lines: Sequence[PricedLine]) -> list[int]:
    """What the coupon takes off each line (minor units), or 409 ``coupon_invalid`` when it
    does not apply to this order. Order-level amounts are spread over the eligible lines in
    proportion to their prices, remainders to the earlier lines; a line is never discounted
    below zero."""
    if coupon.currency is not None and coupon.currency != currency:
        raise invalid("currency_mismatch", couponCurrency=coupon.currency)
    subtotal = sum(line.price_minor for line in lines)
    if coupon.min_order_minor is not None and subtotal < coupon.min_order_minor:
        raise invalid("min_order_not_met", minOrderMinor=coupon.min_order_minor)
    eligible = [_applies_to(coupon, line) for line in lines]
    if not any(eligible):
        raise invalid("not_applicable")
    weights = [line.price_minor if ok else 0 for line, ok in zip(lines, eligible, strict=True)]
    base = sum(weights)
    if coupon.kind is CouponKind.PERCENT:
        assert coupon.percent_bp is not None
        off = divide_half_up(base * coupon.percent_bp, BP)
    else:
        assert coupon.amount_off_minor is not None
        off = min(coupon.amount_off_minor, base)
    return allocate(min(off, base), weights)


async def take(
    session: AsyncSession,
    coupon: CouponRecord,
    *,
    user_id: uuid.UUID,
    order_id: uuid.UUID,
) -> None:
    """Take one use of the coupon for ``order_id`` (reserved until the order is paid):
    409 ``coupon_exhausted`` when no use is left, ``coupon_invalid`` when the buyer has used
    theirs."""
    now = utcnow()
    if not await repo.take_user_use(session, coupon.id, user_id, user_limit(coupon)):
        raise invalid("per_user_limit_reached")
    await repo.reserve(session, coupon_id=coupon.id, user_id=user_id, order_id=order_id, now=now)
    # The global count last: its row is the one every checkout with the coupon would write,
    # so its lock is held only from here to the commit; a coupon without a limit keeps no
    # count and its checkouts do not queue on the row at all (ADR 0042).
    if coupon.usage_limit is None and await repo.still_unlimited(session, coupon.id):
        return
    if not await repo.take_use(session, coupon.id, now):
        raise CouponExhausted()


# --------------------------------------------------------------------------- management


async def _counted(session: AsyncSession, records: list[CouponRecord]) -> list[CouponRecord]:
    """The records with ``used_count`` of a coupon without a limit taken from its live
    redemptions (such a coupon keeps no count in its row)."""
    unlimited = [r.id for r in records if r.usage_limit is None]
    if not unlimited:
        return records
    live = await repo.live_uses(session, unlimited)
    return [
        dataclasses.replace(r, used_count=live.get(r.id, 0)) if r.usage_limit is None else r
        for r in records
    ]


def _require_manager(principal: Principal) -> None:
    if not (principal.has(COUPON_MANAGE_ANY) or principal.has(COUPON_MANAGE_OWN)):
        raise Forbidden(details={"permission": COUPON_MANAGE_OWN})


async def _check_own_courses(
    session: AsyncSession, owner_id: uuid.UUID, course_ids: Sequence[uuid.UUID]
) -> None:
    """An instructor's coupon may only name courses its owner teaches (whoever edits it)."""
    for course_id in course_ids:
        if owner_id not in await catalog.course_instructor_ids(session, course_id):
            raise NotCourseInstructor(details={"courseId": str(course_id)})


def _validate(values: dict[str, Any]) -> None:
    kind = CouponKind(values["kind"])
    if kind is CouponKind.PERCENT:
        if values.get("percent_bp") is None:
            raise field_error("percentBp", "a percent coupon needs percentBp", "required")
        if values.get("amount_off_minor") is not None:
            raise field_error("amountOff", "a percent coupon has no amountOff", "not_allowed")
    else:
        if values.get("amount_off_minor") is None or values.get("currency") is None:
            raise field_error("amountOff", "a fixed coupon needs amountOff", "required")
        if values.get("percent_bp") is not None:
            raise field_error("percentBp", "a fixed coupon has no percentBp", "not_allowed")
    if values.get("min_order_minor") is not None and values.get("currency") is None:
        raise field_error(
            "minOrder", "a minimum order amount needs the coupon's currency", "required"
        )
    ends_at = values.get("ends_at")
    if ends_at is not None and ends_at <= values["starts_at"]:
        raise field_error("endsAt", "endsAt must be after startsAt", "invalid_window")


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in ("course_ids", "category_ids", "instructor_ids"):
        if name in out:
            out[name] = [str(v) for v in out[name] or []]
    if "code" in out:
        out["code"] = str(out["code"]).strip().upper()
    return out


async def create(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> CouponRecord:
    """Admins create any coupon; an instructor's coupon is theirs (``ownerId``) and applies
    to their courses only."""
    _require_manager(principal)
    now = utcnow()
    values = {"starts_at": now, **{k: v for k, v in values.items() if v is not None}}
    values.setdefault("per_user_limit", 1)
    _validate(values)
    owner_id = None
    if not principal.has(COUPON_MANAGE_ANY):
        owner_id = principal.user_id
        await _check_own_courses(session, owner_id, values.get("course_ids") or [])
    coupon_id = new_id()
    row = _stored(values) | {
        "id": coupon_id,
        "owner_id": owner_id,
        "created_by": principal.user_id,
        "used_count": 0,
        "active": values.get("active", True),
        "course_ids": [str(v) for v in values.get("course_ids") or []],
        "category_ids": [str(v) for v in values.get("category_ids") or []],
        "instructor_ids": [str(v) for v in values.get("instructor_ids") or []],
        "created_at": now,
        "updated_at": now,
    }
    if not await repo.insert(session, row):
        raise CouponCodeTaken(details={"code": row["code"]})
    found = await repo.get(session, coupon_id)
    assert found is not None
    return record_of(found)


async def get(session: AsyncSession, principal: Principal, coupon_id: uuid.UUID) -> CouponRecord:
    """A coupon its manager may see (another instructor's coupon is a 404)."""
    _require_manager(principal)
    found = await repo.get(session, coupon_id)
    if found is None or not may_manage_coupon(principal, found.owner_id):
        raise CouponNotFound()
    return (await _counted(session, [record_of(found)]))[0]


async def list_coupons(
    session: AsyncSession,
    principal: Principal,
    *,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[CouponRecord], int]:
    """Admins see every coupon; instructors their own."""
    _require_manager(principal)
    only_owner = not principal.has(COUPON_MANAGE_ANY)
    rows, total = await repo.list_coupons(
        session,
        owner_id=principal.user_id,
        only_owner=only_owner,
        active=active,
        limit=limit,
        offset=offset,
    )
    return await _counted(session, [record_of(r) for r in rows]), total


async def update(
    session: AsyncSession, principal: Principal, coupon_id: uuid.UUID, changes: dict[str, Any]
) -> CouponRecord:
    current = await get(session, principal, coupon_id)
    merged = {
        "kind": current.kind.value,
        "percent_bp": current.percent_bp,
        "amount_off_minor": current.amount_off_minor,
        "currency": current.currency,
        "min_order_minor": current.min_order_minor,
        "starts_at": current.starts_at,
        "ends_at": current.ends_at,
        **changes,
    }
    _validate(merged)
    if "course_ids" in changes and current.owner_id is not None:
        await _check_own_courses(session, current.owner_id, changes["course_ids"] or [])
    stored = _stored(changes)
    if stored:
        outcome = await repo.update(session, coupon_id, {**stored, "updated_at": utcnow()})
        if outcome is repo.CouponUpdate.CODE_TAKEN:
            raise CouponCodeTaken(details={"code": stored.get("code")})
        if outcome is repo.CouponUpdate.LIMIT_BELOW_USED:
            raise field_error(
                "usageLimit", "the limit cannot be below the uses taken", "below_used"
            )
    found = await repo.get(session, coupon_id)
    assert found is not None
    return (await _counted(session, [record_of(found)]))[0]


async def deactivate(session: AsyncSession, principal: Principal, coupon_id: uuid.UUID) -> None:
    """Coupons are never deleted (orders refer to them): deleting deactivates."""
    await get(session, principal, coupon_id)
    await repo.update(session, coupon_id, {"active": False, "updated_at": utcnow()})
