"""Coupon queries. Usage limits are enforced by the statements themselves: a conditional
UPDATE of ``used_count`` (``usage_limit IS NULL OR used_count < usage_limit``) and a guarded
upsert of the per-user counter row, so concurrent checkouts can never over-redeem. A coupon
without a global limit keeps no count in its row (``still_unlimited``, ADR 0042)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import RedemptionStatus
from campus.commerce.models import Coupon, CouponRedemption, CouponUserCount
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a coupon unless its code is taken; True when inserted."""
    statement = (
        dialect_insert(session, Coupon)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return rowcount(await session.execute(statement)) == 1


async def get(session: AsyncSession, coupon_id: uuid.UUID) -> Coupon | None:
    return await session.scalar(
        sa.select(Coupon).where(Coupon.id == coupon_id).execution_options(populate_existing=True)
    )


async def get_by_code(session: AsyncSession, code: str) -> Coupon | None:
    return await session.scalar(
        sa.select(Coupon)
        .where(Coupon.code == code.strip().upper())
        .execution_options(populate_existing=True)
    )


async def list_coupons(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID | None,
    only_owner: bool,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[Coupon], int]:
    where: list[sa.ColumnElement[bool]] = []
    if only_owner:
        where.append(Coupon.owner_id == owner_id)
    if active is not None:
        where.append(Coupon.active.is_(active))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Coupon).where(*where))
    rows = await session.scalars(
        sa.select(Coupon)
        .where(*where)
        .order_by(Coupon.created_at.desc(), Coupon.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


class CouponUpdate(StrEnum):
    UPDATED = "updated"
    CODE_TAKEN = "code_taken"
    LIMIT_BELOW_USED = "limit_below_used"


async def update(
    session: AsyncSession, coupon_id: uuid.UUID, values: dict[str, Any]
) -> CouponUpdate:
    """Change a coupon. ``CODE_TAKEN`` when a new ``code`` is taken by another coupon (the
    unique constraint decides, in a savepoint, so a concurrent rename cannot slip through);
    ``LIMIT_BELOW_USED`` when a new ``usage_limit`` is below the uses taken by then (the
    UPDATE's condition decides, so a checkout taking a use meanwhile cannot slip under it).

    A coupon without a limit keeps no count (``still_unlimited``): giving it one counts its
    live redemptions first. The coupon's row is locked before (``FOR UPDATE`` waits for the
    checkouts holding it ``FOR KEY SHARE`` through their redemption's foreign key), so the
    count, taken by the next statement, sees every one of them."""
    where = [Coupon.id == coupon_id]
    values = dict(values)
    if values.get("usage_limit") is not None:
        await session.execute(sa.select(Coupon.id).where(Coupon.id == coupon_id).with_for_update())
        live = (
            sa.select(sa.func.count())
            .select_from(CouponRedemption)
            .where(
                CouponRedemption.coupon_id == coupon_id,
                CouponRedemption.status.in_(_LIVE),
            )
            .scalar_subquery()
        )
        counted = sa.case((Coupon.usage_limit.is_(None), live), else_=Coupon.used_count)
        values["used_count"] = counted
        where.append(counted <= values["usage_limit"])
    try:
        async with session.begin_nested():
            result = await session.execute(
                sa.update(Coupon)
                .where(*where)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        return CouponUpdate.CODE_TAKEN
    return CouponUpdate.UPDATED if rowcount(result) == 1 else CouponUpdate.LIMIT_BELOW_USED


#: Redemptions that hold a use of their coupon.
_LIVE = (RedemptionStatus.RESERVED.value, RedemptionStatus.REDEEMED.value)


async def still_unlimited(session: AsyncSession, coupon_id: uuid.UUID) -> bool:
    """Whether the coupon still has no global limit, read under ``FOR KEY SHARE`` (the lock
    its redemption's foreign key took already): checkouts of an unlimited coupon never
    write its row, so they do not queue on it; an admin setting a limit locks the row
    ``FOR UPDATE`` and waits for them (``update``)."""
    found = await session.scalar(
        sa.select(Coupon.id)
        .where(Coupon.id == coupon_id, Coupon.usage_limit.is_(None))
        .with_for_update(read=True, key_share=True)
    )
    return found is not None


async def live_uses(
    session: AsyncSession, coupon_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Reserved or redeemed uses per coupon (the count of a coupon without a limit)."""
    if not coupon_ids:
        return {}
    rows = await session.execute(
        sa.select(CouponRedemption.coupon_id, sa.func.count())
        .where(
            CouponRedemption.coupon_id.in_(list(coupon_ids)),
            CouponRedemption.status.in_(_LIVE),
        )
        .group_by(CouponRedemption.coupon_id)
    )
    return {row[0]: int(row[1]) for row in rows}


async def take_use(session: AsyncSession, coupon_id: uuid.UUID, now: datetime) -> bool:
    """Take one use of the coupon's global limit; False when none is left."""
    result = await session.execute(
        sa.update(Coupon)
        .where(
            Coupon.id == coupon_id,
            sa.or_(Coupon.usage_limit.is_(None), Coupon.used_count < Coupon.usage_limit),
        )
        .values(used_count=Coupon.used_count + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def give_use_back(session: AsyncSession, coupon_id: uuid.UUID, now: datetime) -> None:
    """Give one use back to a coupon's count (a coupon without a limit keeps none). The row is
    read ``FOR KEY SHARE`` first, so an admin giving the coupon a limit meanwhile (``update``)
    either waits for this release or is waited for, and its count and this decrement agree."""
    await session.execute(
        sa.select(Coupon.id)
        .where(Coupon.id == coupon_id)
        .with_for_update(read=True, key_share=True)
    )
    await session.execute(
        sa.update(Coupon)
        .where(Coupon.id == coupon_id, Coupon.used_count > 0, Coupon.usage_limit.is_not(None))
        .values(used_count=Coupon.used_count - 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def take_user_use(
    session: AsyncSession, coupon_id: uuid.UUID, user_id: uuid.UUID, limit: int | None
) -> bool:
    """Count one use by ``user_id`` unless they hold ``limit`` already (a guarded upsert of
    their counter row); False when their limit is reached."""
    if limit is not None and limit <= 0:
        return False
    statement = dialect_insert(session, CouponUserCount).values(
        coupon_id=coupon_id, user_id=user_id, used=1
    )
    guard = None if limit is None else CouponUserCount.used < limit
    statement = statement.on_conflict_do_update(
        index_elements=["coupon_id", "user_id"],
        set_={"used": CouponUserCount.used + 1},
        where=guard,
    )
    return rowcount(await session.execute(statement)) == 1


async def give_user_use_back(
    session: AsyncSession, coupon_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        sa.update(CouponUserCount)
        .where(
            CouponUserCount.coupon_id == coupon_id,
            CouponUserCount.user_id == user_id,
            CouponUserCount.used > 0,
        )
        .values(used=CouponUserCount.used - 1)
        .execution_options(synchronize_session=False)
    )


async def user_uses(session: AsyncSession, coupon_id: uuid.UUID, user_id: uuid.UUID) -> int:
    used = await session.scalar(
        sa.select(CouponUserCount.used).where(
            CouponUserCount.coupon_id == coupon_id, CouponUserCount.user_id == user_id
        )
    )
    return int(used or 0)


async def reserve(
    session: AsyncSession,
    *,
    coupon_id: uuid.UUID,
    user_id: uuid.UUID,
    order_id: uuid.UUID,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(CouponRedemption).values(
            id=new_id(),
            coupon_id=coupon_id,
            user_id=user_id,
            order_id=order_id,
            status=RedemptionStatus.RESERVED.value,
            created_at=now,
        )
    )


async def move_redemption(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    from_status: RedemptionStatus,
    to: RedemptionStatus,
) -> CouponRedemption | None:
    """Move the order's redemption (conditional UPDATE); the row when this call moved it."""
    moved = await session.scalar(
        sa.update(CouponRedemption)
        .where(CouponRedemption.order_id == order_id, CouponRedemption.status == from_status.value)
        .values(status=to.value)
        .returning(CouponRedemption)
        .execution_options(synchronize_session=False)
    )
    return moved


async def redemption_counts(
    session: AsyncSession, coupon_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not coupon_ids:
        return {}
    rows = await session.execute(
        sa.select(CouponRedemption.coupon_id, sa.func.count())
        .where(
            CouponRedemption.coupon_id.in_(list(coupon_ids)),
            CouponRedemption.status == RedemptionStatus.REDEEMED.value,
        )
        .group_by(CouponRedemption.coupon_id)
    )
    return {row[0]: int(row[1]) for row in rows}
