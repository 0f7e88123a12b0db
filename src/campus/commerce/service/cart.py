"""The cart: one open cart per user, anonymous carts reached by a cart token (merged into the
user's on login or on their first authenticated cart call), prices always re-read from the
catalog. A cart holds courses of one currency (docs/adr/0028-commerce-orders-and-money.md)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import PricingTier, PurchasePrice
from campus.commerce.data import CartStatus
from campus.commerce.exceptions import (
    CartItemNotFound,
    CartNotFound,
    CourseAlreadyInCart,
    CourseAlreadyOwned,
    CourseNotFound,
    CourseNotPurchasable,
    CurrencyMismatch,
    TierNotAvailable,
)
from campus.commerce.models import Cart, CartItem
from campus.commerce.repository import carts as repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.money import Money
from campus.learning import api as learning

#: Cart tokens are 32 random bytes, URL-safe; only their SHA-256 is stored.
TOKEN_BYTES = 32
#: Anonymous carts untouched this long are deleted (their token is forgotten with them).
ANONYMOUS_CART_DAYS = 30


@dataclass(frozen=True, slots=True)
class CartLine:
    course_id: uuid.UUID
    tier: PricingTier | None
    title: str
    #: The current catalog price (``None`` when the course can no longer be bought).
    price: Money | None
    instructor_id: uuid.UUID | None
    category_id: uuid.UUID | None
    instructor_ids: tuple[uuid.UUID, ...]

    @property
    def purchasable(self) -> bool:
        return self.price is not None


@dataclass(frozen=True, slots=True)
class CartView:
    """A cart priced now. ``id`` is None for a caller who has no cart yet; ``token`` is the
    anonymous cart's token, given only when the cart is created."""

    id: uuid.UUID | None
    user_id: uuid.UUID | None
    status: CartStatus
    currency: str | None
    lines: tuple[CartLine, ...]
    token: str | None = None
    skipped: tuple[tuple[uuid.UUID, str], ...] = ()

    @property
    def subtotal(self) -> Money | None:
        if self.currency is None:
            return None
        return Money(
            sum(line.price.minor for line in self.lines if line.price is not None),
            self.currency,
        )


EMPTY = CartView(id=None, user_id=None, status=CartStatus.OPEN, currency=None, lines=())


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def price_of(found: PurchasePrice | None, tier: PricingTier | None) -> Money | None:
    """What the course costs now in this tier, or None when it cannot be bought."""
    if found is None or not found.is_published or found.is_free:
        return None
    if tier is not None:
        return found.tier_prices.get(tier)
    return found.price


async def view(session: AsyncSession, cart: Cart, *, token: str | None = None) -> CartView:
    """The cart with every line priced from the catalog now (two queries)."""
    items = await repo.items_of(session, cart.id)
    prices = await catalog.get_purchase_prices(session, [i.course_id for i in items])
    return CartView(
        id=cart.id,
        user_id=cart.user_id,
        status=CartStatus(cart.status),
        currency=cart.currency,
        lines=tuple(_line(item, prices.get(item.course_id)) for item in items),
        token=token,
    )


def _line(item: CartItem, found: PurchasePrice | None) -> CartLine:
    tier = PricingTier(item.tier) if item.tier else None
    return CartLine(
        course_id=item.course_id,
        tier=tier,
        title=found.title if found else "",
        price=price_of(found, tier),
        instructor_id=found.primary_instructor_id if found else None,
        category_id=found.category_id if found else None,
        instructor_ids=found.instructor_ids if found else (),
    )


# --------------------------------------------------------------------------- finding the cart


async def _anonymous(session: AsyncSession, token: str | None) -> Cart | None:
    if not token:
        return None
    return await repo.open_cart_by_token(session, hash_token(token))


async def _current(
    session: AsyncSession, principal: Principal | None, token: str | None, *, create: bool
) -> tuple[Cart | None, str | None, tuple[tuple[uuid.UUID, str], ...]]:
    """The caller's open cart (a signed-in caller's anonymous cart is merged into theirs
    first); with ``create``, a new one when there is none. Returns the cart, the token of a
    new anonymous cart, and the courses a merge left out."""
    now = utcnow()
    if principal is not None:
        skipped: tuple[tuple[uuid.UUID, str], ...] = ()
        if token:
            merged = await _merge(session, principal, token)
            if merged is not None:
                return merged
        cart = await repo.open_cart_of_user(session, principal.user_id)
        if cart is None and create:
            cart = await repo.ensure_user_cart(session, principal.user_id, now)
        return cart, None, skipped
    cart = await _anonymous(session, token)
    if cart is None and create:
        new_token = secrets.token_urlsafe(TOKEN_BYTES)
        cart = await repo.insert_anonymous(session, hash_token(new_token), now)
        return cart, new_token, ()
    return cart, None, ()


async def get_cart(
    session: AsyncSession, principal: Principal | None, token: str | None
) -> CartView:
    cart, new_token, skipped = await _current(session, principal, token, create=False)
    if cart is None:
        return EMPTY
    found = await view(session, cart, token=new_token)
    return _with_skipped(found, skipped)


async def open_cart(
    session: AsyncSession, principal: Principal | None, token: str | None
) -> CartView:
    """The caller's cart, created when they have none (an anonymous caller gets its token)."""
    cart, new_token, skipped = await _current(session, principal, token, create=True)
    assert cart is not None
    return _with_skipped(await view(session, cart, token=new_token), skipped)


def _with_skipped(found: CartView, skipped: tuple[tuple[uuid.UUID, str], ...]) -> CartView:
    if not skipped:
        return found
    return CartView(
        id=found.id,
        user_id=found.user_id,
        status=found.status,
        currency=found.currency,
        lines=found.lines,
        token=found.token,
        skipped=skipped,
    )


# --------------------------------------------------------------------------- changes


async def add_item(
    session: AsyncSession,
    principal: Principal | None,
    token: str | None,
    course_id: uuid.UUID,
    tier: PricingTier | None,
) -> CartView:
    """Add a course: refused when it does not exist (404), cannot be bought (free or not
    published), is owned already, is in the cart already, or is in another currency than the
    cart's (409 with a stable code each)."""
    found = (await catalog.get_purchase_prices(session, [course_id])).get(course_id)
    if found is None:
        raise CourseNotFound()
    if not found.is_published or found.is_free:
        raise CourseNotPurchasable(details={"courseId": str(course_id)})
    price = price_of(found, tier)
    if price is None:
        raise TierNotAvailable(details={"tier": tier.value if tier else None})
    if principal is not None and await learning.is_enrolled(session, principal.user_id, course_id):
        raise CourseAlreadyOwned(details={"courseId": str(course_id)})
    cart, new_token, skipped = await _current(session, principal, token, create=True)
    assert cart is not None
    now = utcnow()
    if not await repo.claim_currency(session, cart.id, price.currency, now):
        raise CurrencyMismatch(
            details={"cartCurrency": cart.currency, "courseCurrency": price.currency}
        )
    if not await repo.add_item(session, cart.id, course_id, tier.value if tier else None, now):
        raise CourseAlreadyInCart(details={"courseId": str(course_id)})
    fresh = await _reload(session, cart.id)
    return _with_skipped(await view(session, fresh, token=new_token), skipped)


async def remove_item(
    session: AsyncSession, principal: Principal | None, token: str | None, course_id: uuid.UUID
) -> CartView:
    cart, _, _ = await _current(session, principal, token, create=False)
    if cart is None:
        raise CartNotFound()
    if not await repo.remove_item(session, cart.id, course_id):
        raise CartItemNotFound(details={"courseId": str(course_id)})
    now = utcnow()
    await repo.release_currency_if_empty(session, cart.id, now)
    await repo.touch(session, cart.id, now)
    return await view(session, await _reload(session, cart.id))


async def clear(session: AsyncSession, principal: Principal | None, token: str | None) -> None:
    cart, _, _ = await _current(session, principal, token, create=False)
    if cart is None:
        return
    now = utcnow()
    await repo.clear(session, cart.id)
    await repo.release_currency_if_empty(session, cart.id, now)


async def merge(session: AsyncSession, principal: Principal, token: str) -> CartView:
    """Merge the anonymous cart reached by ``token`` into the caller's cart (on login).
    Courses the caller owns, has already, or that are in another currency are left out and
    listed in ``skipped``. An unknown or already merged token is a 404."""
    merged = await _merge(session, principal, token)
    if merged is None:
        raise CartNotFound()
    cart, _, skipped = merged
    assert cart is not None
    return _with_skipped(await view(session, cart), skipped)


async def _merge(
    session: AsyncSession, principal: Principal, token: str
) -> tuple[Cart | None, str | None, tuple[tuple[uuid.UUID, str], ...]] | None:
    anonymous = await _anonymous(session, token)
    if anonymous is None:
        return None
    now = utcnow()
    if not await repo.close(session, anonymous.id, CartStatus.MERGED, now):
        return None  # a concurrent call merged it
    cart = await repo.ensure_user_cart(session, principal.user_id, now)
    items = await repo.items_of(session, anonymous.id)
    prices = await catalog.get_purchase_prices(session, [i.course_id for i in items])
    skipped: list[tuple[uuid.UUID, str]] = []
    for item in items:
        tier = PricingTier(item.tier) if item.tier else None
        price = price_of(prices.get(item.course_id), tier)
        if price is None:
            skipped.append((item.course_id, CourseNotPurchasable.code))
        elif await learning.is_enrolled(session, principal.user_id, item.course_id):
            skipped.append((item.course_id, CourseAlreadyOwned.code))
        elif not await repo.claim_currency(session, cart.id, price.currency, now):
            skipped.append((item.course_id, CurrencyMismatch.code))
        elif not await repo.add_item(session, cart.id, item.course_id, item.tier, now):
            skipped.append((item.course_id, CourseAlreadyInCart.code))
    return await _reload(session, cart.id), None, tuple(skipped)


async def _reload(session: AsyncSession, cart_id: uuid.UUID) -> Cart:
    cart = await repo.get(session, cart_id)
    assert cart is not None
    return cart


# --------------------------------------------------------------------------- checkout


async def checkout_cart(session: AsyncSession, principal: Principal) -> CartView | None:
    """The buyer's open cart priced now, for checkout (None when they have none)."""
    cart = await repo.open_cart_of_user(session, principal.user_id)
    return None if cart is None else await view(session, cart)


async def sweep_anonymous(session: AsyncSession, *, limit: int = 5000) -> int:
    """Delete anonymous carts untouched for ``ANONYMOUS_CART_DAYS`` days."""
    cutoff = utcnow() - timedelta(days=ANONYMOUS_CART_DAYS)
    return await repo.delete_anonymous_before(session, cutoff, limit)
