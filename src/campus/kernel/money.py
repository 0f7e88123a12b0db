"""Money: integer minor units plus an ISO 4217 currency; ``{"amount": "19.99", "currency": "USD"}``
on the wire. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from campus.kernel.schemas import canonical_decimal

# Currencies whose minor unit is not two digits (ISO 4217). Others default to 2.
_MINOR_DIGITS: dict[str, int] = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


#: Largest amount in minor units: fits a signed 64-bit column with room for sums.
MAX_MINOR = 10**15


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if (
            len(self.currency) != 3
            or not self.currency.isascii()
            or not self.currency.isalpha()
            or not self.currency.isupper()
        ):
            raise ValueError("currency must be a 3-letter upper-case ISO 4217 code")
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("minor units must be an int")
        if abs(self.minor) > MAX_MINOR:
            raise ValueError("amount is out of range")

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Parse a decimal amount (``"19.99"``); more decimal places than the currency has
        (``"1.5"`` JPY, ``"1.2345"`` KWD) are refused, never rounded. Floats are refused."""
        if isinstance(amount, float | bool):
            raise TypeError("money amounts are decimals or strings, never floats")
        currency = currency.upper()
        try:
            value = Decimal(amount.strip() if isinstance(amount, str) else amount)
        except InvalidOperation as exc:
            raise ValueError("amount must be a decimal number") from exc
        if not value.is_finite():
            raise ValueError("amount must be finite")
        if value.adjusted() > 15:
            raise ValueError("amount is out of range")
        digits = minor_digits(currency)
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} amounts have at most {digits} decimal places")
        return cls(int(scaled), currency)

    @property
    def amount(self) -> Decimal:
        digits = minor_digits(self.currency)
        return (Decimal(self.minor).scaleb(-digits)).quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN
        )

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError("cannot combine amounts in different currencies")

    def to_wire(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}


class MoneyIn(BaseModel):
    """Money as accepted from clients: a decimal string (a whole number is accepted too) and a
    currency. Fractional JSON numbers are refused: they are floats by the time they are parsed.
    The number of decimal places is checked against the currency here, so a bad amount is a 422
    on ``amount``, not an error later."""

    model_config = ConfigDict(extra="forbid")

    # ``currency`` is declared first so that ``amount``'s validator can see it.
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])
    amount: Decimal = Field(ge=0, max_digits=14, examples=["19.99"])

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isascii() or not value.isalpha():
            raise ValueError("currency must be a 3-letter ISO 4217 code")
        return value.upper()

    @field_validator("amount", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        if isinstance(value, float | bool):
            raise ValueError('send the amount as a decimal string, e.g. "19.99"')
        return value

    @field_validator("amount")
    @classmethod
    def _fits_currency(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        currency = info.data.get("currency")
        if isinstance(currency, str):
            digits = minor_digits(currency)
            scaled = value.scaleb(digits)
            if scaled != scaled.to_integral_value():
                raise ValueError(f"{currency} amounts have at most {digits} decimal places")
        return canonical_decimal(value)

    def to_money(self) -> Money:
        return Money.from_decimal(self.amount, self.currency)


class MoneyOut(BaseModel):
    amount: str = Field(examples=["19.99"])
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(**money.to_wire())

    @classmethod
    def from_parts(cls, minor: int, currency: str) -> MoneyOut:
        return cls.of(Money(minor, currency))
