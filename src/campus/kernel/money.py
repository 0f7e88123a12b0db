"""Money: integer minor units plus an ISO 4217 currency; ``{"amount": "19.99", "currency": "USD"}``
on the wire. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError("currency must be a 3-letter upper-case ISO 4217 code")

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str) -> Money:
        currency = currency.upper()
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise ValueError("amount must be a decimal number") from exc
        if not value.is_finite():
            raise ValueError("amount must be finite")
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
    """Money as accepted from clients: a decimal string (or number) and a currency."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, max_digits=14, examples=["19.99"])
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("currency must be a 3-letter ISO 4217 code")
        return value.upper()

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
