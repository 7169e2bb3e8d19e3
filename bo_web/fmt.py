"""Display helpers: amounts per currency, status badges, dates, masking."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from bo_core.domain.errors import BoError
from bo_core.domain.money import Money, exponent

STATUS_BADGE = {"success": "🟢 Success", "pending": "🟡 Pending", "rejected": "🔴 Rejected"}
OUTCOME_BADGE = {
    "success": "🟢 Success",
    "refused": "🔴 Refused",
    "awaiting_approval": "🟡 Awaiting approval",
}
CASH_FLOW = {"in": "⬇️ Money in", "out": "⬆️ Money out", "none": "No money moves"}
OUTCOME_LABEL = {"success": "Success", "refused": "Refused", "awaiting_approval": "Awaiting approval"}
_MONEY_IN_BALANCES = {
    "amount": "Amount",
    "refunded": "Refunded",
    "charged_back": "Charged back",
    "chargeback_reversed": "Chargeback reversed",
    "available": "Refundable",
}
# Which balances (keys of ``Balances.as_dict()``) mean something for each type, with their labels.
BALANCES_BY_TYPE: dict[str, dict[str, str]] = {
    "PA": {"amount": "Authorized", "captured": "Captured", "reversed": "Reversed", "available": "Capturable"},
    "CP": _MONEY_IN_BALANCES,
    "DB": _MONEY_IN_BALANCES,
    "RB": _MONEY_IN_BALANCES,
    "CB": {"amount": "Amount", "chargeback_reversed": "Chargeback reversed", "available": "Reversible"},
}
AMOUNT_ONLY = {"amount": "Amount"}  # RF, RV, CR: nothing can follow them
# Operation buttons: this order, the first of these that is offered is the primary one.
OPERATION_ORDER = ("capture", "reversal", "refund", "chargeback", "chargeback_reversal", "rebill")
PRIMARY_OPERATIONS = ("capture", "refund")


def balance_labels(tx_type: str) -> dict[str, str]:
    """The balances worth showing for a transaction of ``tx_type``, key → label."""
    return BALANCES_BY_TYPE.get(tx_type, AMOUNT_ONLY)


def ordered_operations(operations: list[str]) -> list[tuple[str, bool]]:
    """Offered operations in display order, each with whether it is the primary button."""
    ordered = sorted(operations, key=lambda op: OPERATION_ORDER.index(op) if op in OPERATION_ORDER else 99)
    primary = next((op for op in ordered if op in PRIMARY_OPERATIONS), None)
    return [(op, op == primary) for op in ordered]


def amount_code(amount: str, currency: str) -> str:
    """``"1234.5", "CHF"`` → ``1,234.50 CHF``: unambiguous for every currency (``$`` is not)."""
    try:
        return format_currency(Decimal(amount), currency, format="#,##0.00 ¤¤", locale="en_US")
    except (ArithmeticError, ValueError):
        return f"{amount} {currency}"


def status_badge(status: str) -> str:
    return STATUS_BADGE.get(status, status)


def money(amount: str | int, currency: str) -> str:
    """``"12.50", "EUR"`` (or minor units) → ``€12.50``; falls back to the plain form."""
    try:
        if isinstance(amount, int):
            return Money(amount, currency).format()
        digits = exponent(currency)
        whole, _, frac = amount.lstrip("-").partition(".")
        value = int(whole) * 10**digits + int(frac.ljust(digits, "0") or "0")
        return Money(-value if amount.startswith("-") else value, currency).format()
    except (ValueError, KeyError, BoError):
        return f"{amount} {currency}"


def when(value: str | datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def card(bin_: str | None, last4: str | None) -> str:
    if not bin_ and not last4:
        return "—"
    return f"{bin_ or '••••••'} •••••• {last4 or '••••'}"


def email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or "—"
    local, _, domain = value.partition("@")
    return f"{local[:1]}•••@{domain}"


def name(value: str | None) -> str:
    """``Jane Doe`` → ``Jane D.``."""
    if not value:
        return "—"
    parts = value.split()
    return " ".join([parts[0], *(p[:1] + "." for p in parts[1:])])


def history_rows(entries: list[Any]) -> list[dict[str, object]]:
    """Audit entries (``HistoryEntry``) as table rows."""
    return [
        {
            "When (UTC)": e.created_at.replace(tzinfo=None),
            "User": e.username,
            "Operation": e.operation.replace("_", " ").capitalize(),
            "Outcome": OUTCOME_BADGE.get(e.outcome, e.outcome),
            "Result code": e.result_code,
            "Amount": money(e.amount, e.currency) if e.amount and e.currency else "",
            "Transaction ID": e.transaction_id or "",
            "Message": e.message,
            "Available before": money(e.available_before, e.currency)
            if e.available_before and e.currency
            else "",
            "Available after": money(e.available_after, e.currency)
            if e.available_after and e.currency
            else "",
            "Parent UUID": e.parent_uuid,
            "New UUID": e.child_uuid or "",
        }
        for e in entries
    ]


PERIODS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}
PERIODS |= {"all": "Any time", "custom": "Custom range"}
PERIOD_DAYS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}


def period_bounds(
    period: str, start: date | None, end: date | None, now: datetime
) -> tuple[date | datetime | None, date | None]:
    """A period preset (or a custom range whose end day is inclusive) as [from, to)."""
    if period == "custom":
        return start, (end + timedelta(days=1)) if end else None
    if period in PERIOD_DAYS:
        return now.replace(second=0, microsecond=0) - timedelta(days=PERIOD_DAYS[period]), None
    return None, None
