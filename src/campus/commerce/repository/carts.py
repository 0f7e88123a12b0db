"""Cart queries."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import CartStatus
from campus.commerce.models import Cart, CartItem
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def open_cart_of_user(session: AsyncSession, user_id: uuid.UUID) -> Cart | None:
    return await session.scalar(
        sa.select(Cart)
        .where(Cart.user_id == user_id, Cart.status == CartStatus.OPEN.value)
        .execution_options(populate_existing=True)
    )


async def open_cart_by_token(session: AsyncSession, token_hash: str) -> Cart | None:
    """An anonymous open cart by its token's hash."""
    return await session.scalar(
        sa.select(Cart)
        .where(
            Cart.token_hash == token_hash,
            Cart.user_id.is_(None),
            Cart.status == CartStatus.OPEN.value,
        )
        .execution_options(populate_existing=True)
    )


async def ensure_user_cart(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> Cart:
    """The user's open cart, created if they have none (insert-or-ignore on the partial
    unique index: two concurrent first calls make one cart)."""
    await session.execute(
        dialect_insert(session, Cart)
        .values(
            id=new_id(),
            user_id=user_id,
            status=CartStatus.OPEN.value,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id"], index_where=sa.text("status = 'open'"))
    )
    cart = await open_cart_of_user(session, user_id)
    assert cart is not None
    return cart


async def insert_anonymous(session: AsyncSession, token_hash: str, now: datetime) -> Cart:
    cart = Cart(
        id=new_id(),
        user_id=None,
        token_hash=token_hash,
        status=CartStatus.OPEN.value,
        created_at=now,
        updated_at=now,
    )
    session.add(cart)
    await session.flush()
    return cart


async def items_of(session: AsyncSession, cart_id: uuid.UUID) -> list[CartItem]:
    rows = await session.scalars(
        sa.select(CartItem)
        .where(CartItem.cart_id == cart_id)
        .order_by(CartItem.added_at, CartItem.id)
    )
    return list(rows)


async def add_item(
    session: AsyncSession, cart_id: uuid.UUID, course_id: uuid.UUID, tier: str | None, now: datetime
) -> bool:
    """Add a course to the cart unless it is there already; True when added."""
    result = await session.execute(
        dialect_insert(session, CartItem)
        .values(id=new_id(), cart_id=cart_id, course_id=course_id, tier=tier, added_at=now)
        .on_conflict_do_nothing(index_elements=["cart_id", "course_id"])
    )
    return rowcount(result) == 1


async def remove_item(session: AsyncSession, cart_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    result = await session.execute(
        sa.delete(CartItem)
        .where(CartItem.cart_id == cart_id, CartItem.course_id == course_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def clear(session: AsyncSession, cart_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(CartItem)
        .where(CartItem.cart_id == cart_id)
        .execution_options(synchronize_session=False)
    )


async def claim_currency(
    session: AsyncSession, cart_id: uuid.UUID, currency: str, now: datetime
) -> bool:
    """Set the cart's currency if it has none, or confirm it is ``currency`` (one conditional
    UPDATE); False when the cart holds another currency."""
    result = await session.execute(
        sa.update(Cart)
        .where(
            Cart.id == cart_id,
            sa.or_(Cart.currency.is_(None), Cart.currency == currency),
        )
        .values(currency=currency, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def release_currency_if_empty(
    session: AsyncSession, cart_id: uuid.UUID, now: datetime
) -> None:
    """An empty cart holds no currency."""
    await session.execute(
        sa.update(Cart)
        .where(
            Cart.id == cart_id,
            ~sa.exists().where(CartItem.cart_id == cart_id),
        )
        .values(currency=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def close(session: AsyncSession, cart_id: uuid.UUID, to: CartStatus, now: datetime) -> bool:
    """Move an open cart to ``converted`` or ``merged`` (a conditional UPDATE: one caller
    wins); True when this call closed it."""
    result = await session.execute(
        sa.update(Cart)
        .where(Cart.id == cart_id, Cart.status == CartStatus.OPEN.value)
        .values(status=to.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def touch(session: AsyncSession, cart_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(Cart)
        .where(Cart.id == cart_id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def get(session: AsyncSession, cart_id: uuid.UUID) -> Cart | None:
    return await session.scalar(
        sa.select(Cart).where(Cart.id == cart_id).execution_options(populate_existing=True)
    )


async def delete_anonymous_before(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` anonymous carts last touched before ``cutoff`` (their items go
    with them); returns how many."""
    stale = (
        sa.select(Cart.id)
        .where(Cart.user_id.is_(None), Cart.updated_at < cutoff)
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        sa.delete(Cart).where(Cart.id.in_(stale)).execution_options(synchronize_session=False)
    )
    return rowcount(result)
