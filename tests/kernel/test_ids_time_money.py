"""UUIDv7 ids, the swappable clock, aware-UTC timestamps on both backends, and Money."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

from campus.kernel.clock import Clock, as_utc, clock, utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id, parse_id
from campus.kernel.money import Money, MoneyIn, MoneyOut, minor_digits
from campus.kernel.outbox import MessageKind, OutboxMessage

# --------------------------------------------------------------------------- ids


def test_new_id_is_a_uuid_version_7() -> None:
    value = new_id()
    assert isinstance(value, uuid.UUID)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_ids_are_time_ordered_and_unique() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_uuid7_embeds_the_creation_millisecond() -> None:
    before = int(datetime.now(UTC).timestamp() * 1000)
    value = new_id()
    after = int(datetime.now(UTC).timestamp() * 1000)
    assert before <= value.int >> 80 <= after


@pytest.mark.parametrize("raw", ["", "nope", "123", "0193b60c-zzzz-7bbb-8ccc-123456789abc"])
def test_parse_id_rejects_non_uuids(raw: str) -> None:
    assert parse_id(raw) is None


def test_parse_id_accepts_a_uuid_string() -> None:
    value = new_id()
    assert parse_id(str(value)) == value


# --------------------------------------------------------------------------- clock


def test_frozen_clock_stands_still_and_advances_on_demand() -> None:
    moment = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    clock.freeze(moment)
    assert utcnow() == moment
    assert utcnow() == moment
    assert clock.advance(minutes=5) == moment + timedelta(minutes=5)
    assert utcnow() == moment + timedelta(minutes=5)
    clock.unfreeze()
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_refuses_naive_times_and_converts_other_zones_to_utc() -> None:
    own = Clock()
    with pytest.raises(ValueError, match="aware"):
        own.freeze(datetime(2030, 1, 1))
    tokyo = timezone(timedelta(hours=9))
    frozen = own.freeze(datetime(2030, 1, 1, 9, 0, tzinfo=tokyo))
    assert frozen == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    assert frozen.utcoffset() == timedelta(0)
    with pytest.raises(RuntimeError):
        Clock().advance(seconds=1)


def test_as_utc_treats_naive_values_as_utc() -> None:
    assert as_utc(datetime(2030, 1, 1, 12)) == datetime(2030, 1, 1, 12, tzinfo=UTC)


# --------------------------------------------------------------------------- UTCDateTime


async def test_utc_datetime_column_stores_any_zone_and_reads_back_aware_utc(db: Database) -> None:
    tokyo = timezone(timedelta(hours=9))
    written = datetime(2030, 1, 1, 9, 30, 15, 123456, tzinfo=tokyo)
    async with db.session() as session:
        message = OutboxMessage(
            kind=MessageKind.EVENT, name="kernel_test.time", payload={}, available_at=written
        )
        session.add(message)
        await session.flush()
        message_id = message.id
    same_instant_in_utc = datetime(2030, 1, 1, 0, 30, 15, 123456, tzinfo=UTC)
    async with db.read_session() as session:
        read = await session.scalar(
            sa.select(OutboxMessage.available_at).where(OutboxMessage.id == message_id)
        )
        # Comparisons in SQL use the same instant (the relay depends on this).
        due = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.available_at <= datetime(2030, 1, 1, 0, 30, 15, 123456, tzinfo=UTC)
            )
        )
    assert read == written
    assert read is not None
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read == same_instant_in_utc
    assert due == 1


async def test_utc_datetime_column_refuses_naive_datetimes(db: Database) -> None:
    async def store_naive() -> None:
        async with db.session() as session:
            session.add(
                OutboxMessage(
                    kind=MessageKind.EVENT,
                    name="kernel_test.naive",
                    payload={},
                    available_at=datetime(2030, 1, 1),
                )
            )
            await session.flush()

    with pytest.raises(StatementError, match="naive"):
        await store_naive()


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "wire"),
    [
        ("19.99", "USD", 1999, "19.99"),
        ("19.9", "usd", 1990, "19.90"),
        ("20", "EUR", 2000, "20.00"),
        ("1500", "JPY", 1500, "1500"),
        ("1.234", "KWD", 1234, "1.234"),
        ("0", "KWD", 0, "0.000"),
        ("-5.5", "USD", -550, "-5.50"),
    ],
)
def test_money_parses_and_formats_with_the_currency_minor_digits(
    amount: str, currency: str, minor: int, wire: str
) -> None:
    money = Money.from_decimal(amount, currency)
    assert money.minor == minor
    assert money.currency == currency.upper()
    assert money.to_wire() == {"amount": wire, "currency": currency.upper()}
    assert MoneyOut.of(money).model_dump() == {"amount": wire, "currency": currency.upper()}


def test_minor_digits_follow_iso_4217() -> None:
    assert (minor_digits("JPY"), minor_digits("USD"), minor_digits("KWD")) == (0, 2, 3)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.5", "JPY"), ("19.999", "USD"), ("1.2345", "KWD"), ("0.001", "EUR")],
)
def test_money_refuses_more_decimals_than_the_currency_has(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_decimal(amount, currency)


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", "1e40", ""])
def test_money_refuses_non_numbers_and_absurd_amounts(amount: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        Money.from_decimal(amount, "USD")


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        Money.from_decimal(19.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(19.99, "USD")  # type: ignore[arg-type]


def test_money_refuses_bad_currency_codes_and_mixed_arithmetic() -> None:
    for code in ("US", "USDX", "U$D", "usd"):
        with pytest.raises(ValueError, match="currency"):
            Money(100, code)
    usd = Money(100, "USD")
    assert usd + Money(50, "USD") == Money(150, "USD")
    assert usd - Money(150, "USD") == Money(-50, "USD")
    with pytest.raises(ValueError, match="different currencies"):
        usd + Money(1, "EUR")


def test_money_in_accepts_decimal_strings_and_refuses_floats_and_extra_decimals() -> None:
    assert MoneyIn.model_validate_json(
        '{"amount": "19.99", "currency": "usd"}'
    ).to_money() == Money(1999, "USD")
    assert MoneyIn.model_validate_json('{"amount": 20, "currency": "JPY"}').to_money() == Money(
        20, "JPY"
    )
    for bad in (
        '{"amount": 19.99, "currency": "USD"}',
        '{"amount": "1.5", "currency": "JPY"}',
        '{"amount": "-1", "currency": "USD"}',
        '{"amount": "1", "currency": "US1"}',
        '{"amount": "1", "currency": "USD", "fx": 1}',
    ):
        with pytest.raises(ValidationError):
            MoneyIn.model_validate_json(bad)
    with pytest.raises(ValidationError) as info:
        MoneyIn.model_validate_json('{"amount": "1.5", "currency": "JPY"}')
    assert info.value.errors()[0]["loc"] == ("amount",)


CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "KWD", "BHD", "CLP"])


@given(data=st.data(), currency=CURRENCIES)
def test_property_from_decimal_amount_round_trips(data: st.DataObject, currency: str) -> None:
    digits = minor_digits(currency)
    amount = data.draw(
        st.decimals(
            min_value=Decimal("-999999999999"),
            max_value=Decimal("999999999999"),
            places=digits,
            allow_nan=False,
            allow_infinity=False,
        )
    )
    money = Money.from_decimal(amount, currency)
    assert money.amount == amount
    assert Money.from_decimal(money.to_wire()["amount"], currency) == money
    assert isinstance(money.minor, int)


@given(minor=st.integers(min_value=-(10**13), max_value=10**13), currency=CURRENCIES)
def test_property_wire_format_round_trips_minor_units(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.from_decimal(money.to_wire()["amount"], currency) == money
