"""The kernel's one rule for moments and decimals from clients: ``Instant`` (aware, UTC,
saturating), ``add_saturating`` for deadline maths, ``canonical_decimal`` for scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from campus.kernel.clock import MAX_INSTANT, MIN_INSTANT, add_saturating, as_utc
from campus.kernel.money import MoneyIn
from campus.kernel.schemas import CanonicalDecimal, InputModel, Instant


class _Moment(InputModel):
    at: Instant


class _Number(InputModel):
    value: CanonicalDecimal


@pytest.mark.parametrize("value", ["2027-01-02T00:00:00", "2027-01-02", 1_700_000_000, 1.5])
def test_instant_refuses_naive_date_only_and_numbers(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _Moment.model_validate({"at": value})
    assert caught.value.errors()[0]["loc"] == ("at",)


def test_instant_is_converted_to_utc_and_saturates() -> None:
    moment = _Moment.model_validate({"at": "2027-01-02T01:30:00+02:00"}).at
    assert moment == datetime(2027, 1, 1, 23, 30, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)
    assert _Moment.model_validate({"at": "9999-12-31T23:00:00-05:00"}).at == MAX_INSTANT
    assert _Moment.model_validate({"at": "0001-01-01T00:30:00+01:00"}).at == MIN_INSTANT


def test_add_saturating_clamps_instead_of_overflowing() -> None:
    forever = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert add_saturating(forever, timedelta(seconds=300)) == MAX_INSTANT
    assert add_saturating(MAX_INSTANT, timedelta(days=1)) == MAX_INSTANT
    assert add_saturating(MIN_INSTANT, -timedelta(days=1)) == MIN_INSTANT
    ordinary = datetime(2027, 1, 1, tzinfo=UTC)
    assert add_saturating(ordinary, timedelta(hours=1)) == datetime(2027, 1, 1, 1, tzinfo=UTC)
    naive = datetime(9999, 12, 31)
    assert add_saturating(naive, timedelta(days=1)) == datetime.max


def test_as_utc_saturates_offsets_past_the_ends() -> None:
    late = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(-timedelta(hours=5)))
    early = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(late) == MAX_INSTANT
    assert as_utc(early) == MIN_INSTANT


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("-0", "0"),
        ("-0.00", "0.00"),
        ("1e2", "100"),
        ("1E+3", "1000"),
        ("00.5", "0.5"),
        ("12.50", "12.50"),
        (7, "7"),
    ],
)
def test_decimals_are_made_canonical(raw: object, canonical: str) -> None:
    value = _Number.model_validate({"value": raw}).value
    assert str(value) == canonical
    assert not value.is_signed() or value < 0


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-inf", "1e40", "abc"])
def test_decimals_that_cannot_be_written_plainly_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        _Number.model_validate({"value": raw})


def test_money_amounts_follow_the_same_rule() -> None:
    assert MoneyIn.model_validate({"amount": "-0", "currency": "USD"}).amount == Decimal("0")
    assert not MoneyIn.model_validate({"amount": "-0.00", "currency": "USD"}).amount.is_signed()
    assert str(MoneyIn.model_validate({"amount": "1e2", "currency": "USD"}).amount) == "100"
