"""When the operation dialog asks for a second, explicit confirmation.

An amount strictly above the threshold of its currency needs it. Thresholds
are per currency in major units (``BO_CONFIRM_ABOVE``, e.g.
``*=1000,JPY=150000``); ``*`` applies to every currency without its own
entry. The default is about the equivalent of 1,000 EUR, as the analyst's
approval threshold: ``*=1000,JPY=150000,BHD=400``.

``run_operation`` refuses an unconfirmed request above the threshold, so a
screen that forgot the step cannot book it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bo_core.domain.errors import ConfigurationError, InputError
from bo_core.domain.money import Money, check_currency, exponent

DEFAULT_CONFIRM_ABOVE = "*=1000,JPY=150000,BHD=400"
ANY = "*"


@dataclass(frozen=True)
class ConfirmThresholds:
    """Currency (or ``*``) → amount in major units above which a confirmation is needed."""

    major: Mapping[str, Decimal] = field(default_factory=dict)

    def threshold(self, currency: str) -> Money | None:
        """The threshold in ``currency``; ``None`` when there is none (no confirmation ever)."""
        value = self.major.get(currency, self.major.get(ANY))
        if value is None:
            return None
        scaled = value.scaleb(exponent(currency))
        return Money(int(scaled.to_integral_value(rounding="ROUND_FLOOR")), currency)

    def needs_confirmation(self, amount: Money) -> bool:
        limit = self.threshold(amount.currency)
        return limit is not None and amount > limit

    def refusal(self, amount: Money, confirmed: bool) -> InputError | None:
        """The error for an unconfirmed amount above the threshold, else ``None``."""
        if confirmed or not self.needs_confirmation(amount):
            return None
        return InputError(
            "Confirmation",
            f"{amount} is above {self.threshold(amount.currency)}: confirm the amount explicitly",
        )


def parse_thresholds(raw: str | None) -> ConfirmThresholds:
    """``*=1000,JPY=150000`` (commas or spaces); ``None``/blank: the default; ``off``: never."""
    text = DEFAULT_CONFIRM_ABOVE if raw is None or not raw.strip() else raw.strip()
    if text.lower() == "off":
        return ConfirmThresholds({})
    out: dict[str, Decimal] = {}
    for part in text.replace(",", " ").split():
        key, sep, value = part.partition("=")
        key = key.strip().upper()
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        if not sep or not amount.is_finite() or amount < 0:
            raise ConfigurationError(
                f"BO_CONFIRM_ABOVE: {part[:40]!r} is not CURRENCY=AMOUNT (e.g. EUR=1000, *=1000)"
            )
        if key != ANY:
            try:
                check_currency(key)
            except InputError:
                raise ConfigurationError(f"BO_CONFIRM_ABOVE: {key[:10]!r} is not a currency") from None
            if amount.scaleb(exponent(key)) != amount.scaleb(exponent(key)).to_integral_value():
                raise ConfigurationError(f"BO_CONFIRM_ABOVE: {part!r} has more digits than {key} has")
        out[key] = amount
    return ConfirmThresholds(out)
