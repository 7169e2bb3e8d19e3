"""Money in integer minor units, with currency exponents from babel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from bo_core.domain.errors import InputError, InvalidAmount

# Largest amount accepted in minor units: fits a signed 64-bit column with room
# for sums, and is far above any real payment.
MAX_MINOR_UNITS = 10**15

_AMOUNT = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d+))?$")
_EXPONENT = re.compile(r"[0-9]*\.?[0-9]*e[+-]?[0-9]*")


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """Return the ISO 4217 code if babel knows it, else raise ``InputError``."""
    if not isinstance(code, str) or code not in known_currencies():
        raise InputError("Currency", f"{str(code)[:20]!r} is not an ISO 4217 currency code")
    return code


@cache
def exponent(currency: str) -> int:
    """Minor-unit digits of a currency (JPY 0, EUR 2, BHD 3)."""
    return int(get_currency_precision(check_currency(currency)))


class CurrencyMismatch(TypeError, ValueError):
    """Two amounts in different currencies were added, subtracted or ordered."""


@dataclass(frozen=True, slots=True)
class Money:
    """An immutable amount: integer minor units plus currency.

    Arithmetic and ordering between different currencies are refused
    (``CurrencyMismatch``), as in py-moneyed: 100 EUR is neither more nor less
    than 5 JPY. Equality is plain: amounts in different currencies are unequal.
    """

    minor: int
    currency: str

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot mix {self.currency} and {other.currency}")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor >= other.minor

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def to_str(self) -> str:
        """Plain decimal string with exactly the currency's digits: ``12.50``."""
        return minor_to_str(self.minor, self.currency)

    def __str__(self) -> str:
        return f"{self.to_str()} {self.currency}"


def minor_to_str(minor: int, currency: str) -> str:
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    value = abs(minor)
    if exp == 0:
        return f"{sign}{value}"
    whole, frac = divmod(value, 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def parse_amount(text: object, currency: str) -> Money:
    """Parse a user-typed amount strictly.

    Accepted: digits with an optional dot and at most the currency's minor-unit
    digits (``10``, ``10.5``, ``10.50``; for JPY only whole numbers). Refused with
    a message saying why: empty, zero, negative, signs, exponent notation,
    NaN/infinity, thousands separators, a comma as decimal mark, more digits than
    the currency has, and amounts above ``MAX_MINOR_UNITS``.
    """
    exp = exponent(currency)
    if not isinstance(text, str):
        raise InvalidAmount("must be text such as 12.50")
    raw = text.strip()
    if not raw:
        raise InvalidAmount("is required")
    if len(raw) > 40:
        raise InvalidAmount("is too long to be an amount")
    lowered = raw.lower()
    if lowered.lstrip("+-") in {"nan", "inf", "infinity", "snan"}:
        raise InvalidAmount("must be a number")
    if raw.startswith("-"):
        raise InvalidAmount("must be positive")
    if raw.startswith("+"):
        raise InvalidAmount("must be written without a sign")
    if _EXPONENT.fullmatch(lowered):
        raise InvalidAmount("exponent notation is not accepted; write the digits, e.g. 1500.00")
    if "," in raw:
        raise InvalidAmount("use a dot as decimal mark and no thousands separators, e.g. 1234.50")
    match = _AMOUNT.match(raw)
    if not match or not raw.isascii():
        raise InvalidAmount(f"{raw[:40]!r} is not a decimal number such as 12.50")
    frac = match.group("frac") or ""
    if len(frac) > exp:
        if exp == 0:
            raise InvalidAmount(f"{currency} has no minor units; enter a whole number")
        raise InvalidAmount(f"{currency} allows at most {exp} decimal digits")
    minor = int(match.group("int")) * 10**exp + int(frac.ljust(exp, "0") or "0")
    if minor == 0:
        raise InvalidAmount("must be greater than zero")
    if minor > MAX_MINOR_UNITS:
        raise InvalidAmount("is too large")
    return Money(minor, currency)
