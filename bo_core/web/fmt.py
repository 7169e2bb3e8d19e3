"""Display helpers: amounts per currency, status badges, dates, masking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bo_core.domain.errors import BoError
from bo_core.domain.money import Money, exponent

STATUS_BADGE = {"success": "🟢 Success", "pending": "🟡 Pending", "rejected": "🔴 Rejected"}
OUTCOME_BADGE = {"success": "🟢 Success", "refused": "🔴 Refused"}
CASH_FLOW = {"in": "⬇️ Money in", "out": "⬆️ Money out", "none": "No money moves"}
BALANCE_LABELS = {
    "amount": "Authorized / amount",
    "captured": "Captured",
    "reversed": "Reversed",
    "refunded": "Refunded",
    "charged_back": "Charged back",
    "chargeback_reversed": "Chargeback reversed",
    "available": "Available",
}


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
            "Available before": money(e.available_before, e.currency)
            if e.available_before and e.currency
            else "",
            "Available after": money(e.available_after, e.currency)
            if e.available_after and e.currency
            else "",
            "Transaction ID": e.transaction_id or "",
            "Message": e.message,
            "Parent UUID": e.parent_uuid,
            "New UUID": e.child_uuid or "",
        }
        for e in entries
    ]
