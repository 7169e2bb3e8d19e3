"""Display helpers: amounts per currency, status badges, dates, masking."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from bo_core.domain.balances import RELEVANT_BALANCES
from bo_core.domain.errors import BoError
from bo_core.domain.masking import mask_email, mask_name
from bo_core.domain.money import Money
from bo_core.domain.reasons import reason_label
from bo_core.domain.types import Operation, Status, TxType

STATUS_BADGE: dict[str, str] = {
    Status.SUCCESS: "🟢 Success",
    Status.PENDING: "🟡 Pending",
    Status.REJECTED: "🔴 Rejected",
}
STATUSES = [s.value for s in Status]
OUTCOME_BADGE = {
    "success": "🟢 Success",
    "refused": "🔴 Refused",
    "pending": "🟡 Sent, pending",  # gateway mode
    "rejected": "🟠 Rejected by the gateway",
    "awaiting_approval": "🟡 Awaiting approval",
}
CASH_FLOW = {"in": "⬇️ Money in", "out": "⬆️ Money out", "none": "No money moves"}
OUTCOME_LABEL = {
    "success": "Success",
    "refused": "Refused",
    "pending": "Pending",
    "rejected": "Rejected",
    "awaiting_approval": "Awaiting approval",
}
BALANCE_LABELS = {
    "amount": "Amount",
    "captured": "Captured",
    "reversed": "Reversed",
    "refunded": "Refunded",
    "charged_back": "Charged back",
    "chargeback_reversed": "Chargeback reversed",
    "available": "Refundable",
}
# Per type, the words for its amount and for what is still available.
_TYPE_LABELS: dict[str, dict[str, str]] = {
    "PA": {"amount": "Authorized", "available": "Capturable"},
    "CB": {"available": "Reversible"},
}
# The first offered of these is the primary button; the order is the Operation enum's.
PRIMARY_OPERATIONS = ("capture", "refund")


def balance_labels(tx_type: str) -> dict[str, str]:
    """The balances worth showing for a transaction of ``tx_type`` (``RELEVANT_BALANCES``), key → label."""
    labels = {**BALANCE_LABELS, **_TYPE_LABELS.get(tx_type, {})}
    return {key: labels[key] for key in RELEVANT_BALANCES[TxType(tx_type)]}


def ordered_operations(operations: list[str]) -> list[tuple[str, bool]]:
    """Offered operations in the order of ``Operation``, each with whether it is the primary button."""
    order = [op.value for op in Operation]
    ordered = sorted(operations, key=lambda op: order.index(op) if op in order else len(order))
    primary = next((op for op in ordered if op in PRIMARY_OPERATIONS), None)
    return [(op, op == primary) for op in ordered]


def money(amount: Money | str | int | None, currency: str | None = None) -> str:
    """The one money format of the whole UI: ``1,234.50 EUR``.

    Digits grouped, the currency's own decimals (``1,235 JPY``, ``1.250 BHD``),
    then the ISO code: unambiguous for every currency (``$`` is not). Takes a
    ``Money``, or a decimal string or minor units with the currency.
    """
    if amount is None:
        return ""
    try:
        if isinstance(amount, Money):
            value, currency = amount.decimal, amount.currency
        elif isinstance(amount, int) and currency:
            value = Money(amount, currency).decimal
        else:
            value = Decimal(str(amount))
        return format_currency(value, currency or "", format="#,##0.00 ¤¤", locale="en_US")
    except (ArithmeticError, ValueError, BoError):
        return f"{amount} {currency or ''}".strip()


def reason(code: str | None, note: str | None = None) -> str:
    """``Requested by customer``; ``Other: phoned in`` (the note after the label)."""
    label = reason_label(code)
    return f"{label}: {note}" if label and note else label


def status_badge(status: str) -> str:
    return STATUS_BADGE.get(status, status)


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
    return mask_email(value) or "—"


def name(value: str | None) -> str:
    """``Jane Doe`` → ``Jane D.``."""
    return mask_name(value) or "—"


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
            "Reason": reason(getattr(e, "reason_code", None), getattr(e, "reason_note", None)),
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
