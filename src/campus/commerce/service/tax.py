"""Tax: rates by country (and state) with validity dates, and tax computed per order line in
integer minor units.

The buyer's billing country (and state) decides the rate: a state's own rate when there is
one (US sales tax), else the country's. Prices are tax-exclusive (tax is added) or inclusive
(tax is extracted) per ``CAMPUS_COMMERCE_PRICES_INCLUDE_TAX``. Each line's tax is rounded
half-up to the currency's minor unit (a JPY yen, a USD cent: amounts are already integers of
that unit) and the order's tax is the sum of its lines', so totals are always the sum of
lines (docs/adr/0028-commerce-orders-and-money.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import TAX_MANAGE, TaxType
from campus.commerce.exceptions import TaxRateNotFound
from campus.commerce.models import TaxRate
from campus.commerce.repository import tax as repo
from campus.kernel.auth import Principal
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id

BP = 10_000


@dataclass(frozen=True, slots=True)
class TaxRateRecord:
    id: uuid.UUID
    country: str
    state: str | None
    name: str
    type: TaxType
    rate_bp: int
    valid_from: datetime
    valid_to: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LineTax:
    tax_minor: int
    #: What the line costs the buyer (net + tax when exclusive; net when inclusive).
    total_minor: int


def record_of(rate: TaxRate) -> TaxRateRecord:
    return TaxRateRecord(
        id=rate.id,
        country=rate.country,
        state=rate.state,
        name=rate.name,
        type=TaxType(rate.type),
        rate_bp=rate.rate_bp,
        valid_from=rate.valid_from,
        valid_to=rate.valid_to,
        created_at=rate.created_at,
    )


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, for non-negative integers (no floats)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("amounts are non-negative")
    return (2 * numerator + denominator) // (2 * denominator)


def line_tax(net_minor: int, rate_bp: int, *, inclusive: bool) -> LineTax:
    """The tax of one line whose price after discount is ``net_minor``."""
    if inclusive:
        tax = divide_half_up(net_minor * rate_bp, BP + rate_bp)
        return LineTax(tax, net_minor)
    tax = divide_half_up(net_minor * rate_bp, BP)
    return LineTax(tax, net_minor + tax)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over lines in proportion to ``weights`` (largest remainder; ties go to
    the earlier line): the parts always sum to ``amount`` and none exceeds its weight when
    ``amount <= sum(weights)``."""
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts


async def rate_for(
    session: AsyncSession, country: str, state: str | None, at: datetime
) -> TaxRateRecord | None:
    """The rate a buyer billed in ``country`` (``state``) pays at ``at``: the state's own rate
    when one is valid, else the country's; None when no rate applies (no tax)."""
    rates = await repo.rates_for(session, country.upper(), state.upper() if state else None, at)
    own_state = [r for r in rates if r.state is not None]
    chosen = own_state[0] if own_state else (rates[0] if rates else None)
    return None if chosen is None else record_of(chosen)


# --------------------------------------------------------------------------- administration


async def list_rates(
    session: AsyncSession, principal: Principal, *, country: str | None, limit: int, offset: int
) -> tuple[list[TaxRateRecord], int]:
    principal.require(TAX_MANAGE)
    rows, total = await repo.list_rates(
        session, country=country.upper() if country else None, limit=limit, offset=offset
    )
    return [record_of(r) for r in rows], total


def _check_window(valid_from: datetime, valid_to: datetime | None) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise field_error("validTo", "validTo must be after validFrom", "invalid_window")


async def create_rate(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> TaxRateRecord:
    principal.require(TAX_MANAGE)
    _check_window(values["valid_from"], values.get("valid_to"))
    rate = await repo.insert(session, {"id": new_id(), **values})
    return record_of(rate)


async def update_rate(
    session: AsyncSession, principal: Principal, rate_id: uuid.UUID, changes: dict[str, Any]
) -> TaxRateRecord:
    principal.require(TAX_MANAGE)
    current = await repo.get(session, rate_id)
    if current is None:
        raise TaxRateNotFound()
    _check_window(
        changes.get("valid_from", current.valid_from), changes.get("valid_to", current.valid_to)
    )
    if changes:
        await repo.update(session, rate_id, changes)
    fresh = await repo.get(session, rate_id)
    assert fresh is not None
    return record_of(fresh)


async def delete_rate(session: AsyncSession, principal: Principal, rate_id: uuid.UUID) -> None:
    principal.require(TAX_MANAGE)
    if not await repo.delete(session, rate_id):
        raise TaxRateNotFound()
