"""Search and history filters: raw user input validated into frozen values.

Pure: shared by the transaction search and the operation history, by the
dashboard and the ``bo`` command line. Every parser raises ``InputError``
naming the first bad field; nothing here touches a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from bo_core.domain.errors import InputError, InvalidAmount
from bo_core.domain.money import check_currency, parse_amount
from bo_core.domain.types import Operation, Outcome, Status, TxType

MAX_TEXT = 200
# Amount filters without a currency are validated at the finest precision any currency has.
_FINEST_EXPONENT = 4
_ZERO = re.compile(r"^0+(\.0+)?$")


@dataclass(frozen=True)
class SearchFilters:
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    merchant: str | None = None
    currency: str | None = None
    brand: str | None = None  # matches brand OR payment_method
    min_amount: str | None = None  # decimal string, major units
    max_amount: str | None = None
    text: str | None = None
    # The text is an identifier, so the period given was set aside (see ``is_identifier``).
    period_ignored: bool = False


_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_LAST4 = re.compile(r"^\d{4}$")


def is_identifier(text: str | None) -> bool:
    """Whether a search text names a transaction rather than describes one.

    A UUID (with or without dashes), or a single token holding a digit that is
    neither 4 digits alone (the last 4 card digits) nor an e-mail address: a
    Transaction ID or a UUID, whole or its beginning. An identifier finds its
    transaction whatever the period says, so the period is set aside for it.
    """
    if not text:
        return False
    if _HEX32.match(text.replace("-", "")):
        return True
    if _LAST4.match(text) or "@" in text or any(c.isspace() for c in text):
        return False
    return len(text) >= 4 and any(c.isdigit() for c in text)


def has_control_chars(value: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cf", "Cs"} for c in value)


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, Iterable):
        return tuple(v for v in value if not (isinstance(v, str) and not v.strip()))
    return (value,)


def _parse_codes(
    field: str, raw: object, allowed: Sequence[str], normalize: Callable[[str], str]
) -> tuple[str, ...]:
    out: list[str] = []
    for item in _as_tuple(raw):
        code = normalize(str(item).strip())
        if code not in allowed:
            raise InputError(field, f"{str(item)[:20]!r} is unknown; use one of {', '.join(allowed)}")
        if code not in out:
            out.append(code)
    return tuple(out)


def parse_instant(field: str, value: object) -> datetime | None:
    """A date (``YYYY-MM-DD``: midnight UTC) or an ISO datetime; naive means UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    elif isinstance(value, str):
        raw = value.strip()
        try:
            if len(raw) == 10:
                moment = datetime.combine(date.fromisoformat(raw), time(0))
            else:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InputError(field, f"{raw[:40]!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    else:
        raise InputError(field, "must be a date or a datetime")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "is out of the supported range of dates") from None


def parse_period(date_from: object, date_to: object) -> tuple[datetime | None, datetime | None]:
    start = parse_instant("From", date_from)
    end = parse_instant("To", date_to)
    if start is not None and end is not None and start >= end:
        raise InputError("To", "must be later than From (From is inclusive, To exclusive)")
    return start, end


def parse_label(field: str, value: object, max_len: int) -> str | None:
    """Optional exact-match text such as a merchant or a username."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    raw = value.strip()
    if not raw:
        return None
    if len(raw) > max_len:
        raise InputError(field, f"is longer than {max_len} characters")
    if has_control_chars(raw):
        raise InputError(field, "must not contain control characters")
    return raw


def parse_currency(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_currency(str(value).strip().upper())


def _parse_bound(field: str, value: object, currency: str | None, *, allow_zero: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        value = str(value)
    raw = value.strip() if isinstance(value, str) else value
    if allow_zero and isinstance(raw, str) and _ZERO.match(raw):
        return Decimal(0)
    try:
        if currency is None:
            if isinstance(raw, str) and "." in raw and len(raw.rsplit(".", 1)[1]) > _FINEST_EXPONENT:
                raise InvalidAmount(f"allows at most {_FINEST_EXPONENT} decimal digits")
            money = parse_amount(raw, "CLF")  # a currency with 4 minor digits
        else:
            money = parse_amount(raw, currency)
    except InvalidAmount as exc:
        raise InputError(field, exc.message.removeprefix("Amount: "), exc.result_code) from None
    return money.decimal


def parse_free_text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("Search text", "must be text")
    raw = value.strip()
    if not raw:
        return None
    if len(raw) > MAX_TEXT:
        raise InputError("Search text", f"is longer than {MAX_TEXT} characters")
    if has_control_chars(raw):
        raise InputError("Search text", "must not contain control characters")
    return raw


def parse_filters(
    *,
    types: object = (),
    statuses: object = (),
    date_from: object = None,
    date_to: object = None,
    merchant: object = None,
    currency: object = None,
    brand: object = None,
    min_amount: object = None,
    max_amount: object = None,
    text: object = None,
) -> SearchFilters:
    """Validate raw user input; raise ``InputError`` naming the first bad field.

    When ``text`` is an identifier (``is_identifier``) the period is set aside:
    ``date_from``/``date_to`` are dropped and ``period_ignored`` says so.
    """
    type_codes = _parse_codes("Type", types, [t.value for t in TxType], str.upper)
    status_codes = _parse_codes("Status", statuses, [s.value for s in Status], str.lower)
    start, end = parse_period(date_from, date_to)
    cur = parse_currency(currency)
    low = _parse_bound("Minimum amount", min_amount, cur, allow_zero=True)
    high = _parse_bound("Maximum amount", max_amount, cur, allow_zero=False)
    if low is not None and high is not None and low > high:
        raise InputError("Minimum amount", "must not be greater than the maximum amount")
    q = parse_free_text(text)
    ignored = is_identifier(q) and (start is not None or end is not None)
    if ignored:
        start = end = None
    return SearchFilters(
        types=type_codes,
        statuses=status_codes,
        date_from=start,
        date_to=end,
        merchant=parse_label("Merchant", merchant, 64),
        currency=cur,
        brand=parse_label("Brand", brand, 16),
        min_amount=None if low is None else str(low),
        max_amount=None if high is None else str(high),
        text=q,
        period_ignored=ignored,
    )


@dataclass(frozen=True)
class HistoryFilters:
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    username: str | None = None
    operation: str | None = None
    outcome: str | None = None  # "success" | "refused"
    merchant: str | None = None
    currency: str | None = None
    min_attempted: str | None = None  # attempted amount, decimal string, major units
    max_attempted: str | None = None
    reason: str | None = None  # a refund/chargeback reason code (``domain.reasons``)


def _choice(field: str, value: object, allowed: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = str(value).strip().lower()
    if code not in allowed:
        raise InputError(field, f"{str(value)[:30]!r} is unknown; use one of {', '.join(allowed)}")
    return code


def parse_history_filters(
    *,
    date_from: object = None,
    date_to: object = None,
    username: object = None,
    operation: object = None,
    outcome: object = None,
    merchant: object = None,
    currency: object = None,
    min_attempted: object = None,
    max_attempted: object = None,
    reason: object = None,
) -> HistoryFilters:
    """Validate raw input; raise ``InputError`` naming the first bad field."""
    start, end = parse_period(date_from, date_to)
    cur = parse_currency(currency)
    low = _parse_bound("Attempted from", min_attempted, cur, allow_zero=True)
    high = _parse_bound("Attempted to", max_attempted, cur, allow_zero=False)
    if low is not None and high is not None and low > high:
        raise InputError("Attempted from", "is above the upper bound")
    return HistoryFilters(
        date_from=start,
        date_to=end,
        username=parse_label("User", username, 64),
        operation=_choice("Operation", operation, [o.value for o in Operation]),
        outcome=_choice("Outcome", outcome, [o.value for o in Outcome]),
        merchant=parse_label("Merchant", merchant, 64),
        currency=cur,
        min_attempted=None if low is None else str(low),
        max_attempted=None if high is None else str(high),
        reason=_reason_code(reason),
    )


def _reason_code(value: object) -> str | None:
    """A reason code to filter by (any well-formed code: the list is configurable and changes)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = str(value).strip().lower()
    if len(code) > 32 or not code.replace("_", "").isalnum() or not code.isascii():
        raise InputError("Reason", f"{str(value)[:30]!r} is not a reason code such as duplicate")
    return code
