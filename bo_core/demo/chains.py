"""Deterministic payment chains for the demo data set.

Every chain is a list of rows in the order they happened for each parent:
a parent always comes before its children, and the children of one parent
come in time order. Any prefix of a chain is therefore a valid history
(cutting a chain short never leaves a child without its parent, and never
breaks a balance rule), which lets the loader stop at an exact row count.

Rules kept (see ``bo_core.domain.balances``):

- children only under SUCCESS parents, in the parent's currency, created later;
- PA: captures + reversal <= authorized; one reversal, nothing captured after it;
  captures happen inside the capture window;
- CP / DB / RB: refunds + open chargebacks <= collected; one chargeback, no
  refund while it is open; one chargeback reversal (<= the chargeback);
- pending children count against the balance, rejected ones do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import cache
from random import Random
from typing import TypeVar

from bo_core.demo import catalog as cat
from bo_core.domain import result_codes as rc

Row = dict[str, object]
T = TypeVar("T")


def _choice(rng: Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _randint(rng: Random, low: int, high: int) -> int:
    """Like ``Random.randint`` (both ends included), with one ``random()`` call."""
    return low + int(rng.random() * (high - low + 1))


@cache
def _status(code: str) -> str:
    return rc.status_of(code).value


@cache
def _describe(code: str) -> str:
    return rc.describe(code)


DAY = 86_400
HISTORY_SECONDS = 90 * DAY
MIN_GAP_SECONDS = 5  # smallest gap between a parent and its child near now
CAPTURE_SPACING_SECONDS = 5 * DAY
SUCCESS = "000.000.000"
EXTERNAL_UPDATE = "000.600.000"
PENDING = "000.200.000"

_PA_SCENARIOS: cat.Weighted[str] = cat.Weighted(
    (
        ("open", 18),
        ("partial", 18),
        ("full", 28),
        ("multi_full", 12),
        ("partial_reverse", 12),
        ("reverse", 10),
        ("rejected_capture", 2),
    )
)
_MONEY_SCENARIOS: cat.Weighted[str] = cat.Weighted(
    (
        ("none", 60),
        ("refund_full", 9),
        ("refund_partial", 11),
        ("refund_multi", 6),
        ("chargeback", 7),
        ("chargeback_reversed", 5),
        ("reversed_then_refund", 3),
        ("refund_then_chargeback", 3),
        ("refund_pending", 2),
        ("refund_rejected", 2),
    )
)


class ChainFactory:
    """Draws chains from one ``Random``; the same seed and ``now`` give the same rows."""

    def __init__(self, rng: Random, now: datetime) -> None:
        self.rng = rng
        self.now = now.replace(microsecond=0)
        self.orders = 0

    def chains(self) -> Iterator[list[Row]]:
        while True:
            yield self.chain()

    # -- one chain -----------------------------------------------------------------

    def chain(self) -> list[Row]:
        rng = self.rng
        merchant = cat.MERCHANTS.draw(rng)
        currency = merchant.currencies.draw(rng)
        shared = self._customer(merchant, currency)
        method = str(shared["payment_method"])
        self.orders += 1
        order = f"{self.orders:07d}"
        txid = f"{merchant.prefix}-{_randint(rng, 1, 9)}{order}"
        usage = f"{merchant.descriptor} ORDER {txid.split('-')[1]}"
        pa_share = 0.0 if method == "DD" else (0.3 if merchant.recurring else 0.45)
        root_type = "PA" if rng.random() < pa_share else "DB"
        created = self.now - timedelta(seconds=_randint(rng, 60, HISTORY_SECONDS))
        code = self._root_code(method)
        rows: list[Row] = []
        amount = cat.amount_minor(rng, currency)
        root = self._row(rows, shared, root_type, None, amount, code, created, txid, usage)
        if _status(code) != "success":
            return rows
        if root_type == "PA":
            self._pa_children(rows, shared, root, amount, created, txid, usage)
        else:
            self._money_children(rows, shared, root, amount, created, txid, usage)
            rebills = merchant.recurring or rng.random() < 0.06
            if rebills and rng.random() < 0.5:
                self._rebills(rows, shared, root, amount, created, txid, usage)
        return rows

    def _root_code(self, method: str) -> str:
        point = self.rng.random()
        if point < 0.05:
            if method == "DD":
                return "800.400.500"
            return cat.PENDING_CODES.draw(self.rng)
        if point < 0.14:
            return cat.REJECTED_CODES.draw(self.rng)
        return cat.SUCCESS_CODES.draw(self.rng)

    # -- children ------------------------------------------------------------------

    def _pa_children(
        self, rows: list[Row], shared: Row, pa: str, amount: int, created: datetime, txid: str, usage: str
    ) -> None:
        rng = self.rng
        scenario = _PA_SCENARIOS.draw(rng)
        capturable = amount
        cursor = created
        captures: list[tuple[str, int, datetime]] = []
        if scenario == "open":
            return
        if scenario == "rejected_capture":
            when = self._after(cursor, CAPTURE_SPACING_SECONDS)
            if when is not None:
                code = cat.REJECTED_CODES.draw(rng)
                self._row(rows, shared, "CP", pa, amount, code, when, f"{txid}-CP1", usage)
            return
        if scenario in ("full", "multi_full", "partial", "partial_reverse"):
            parts = self._split(amount, scenario)
            for n, part in enumerate(parts, start=1):
                when = self._after(cursor, CAPTURE_SPACING_SECONDS)
                if when is None:
                    break
                cp = self._row(rows, shared, "CP", pa, part, SUCCESS, when, f"{txid}-CP{n}", usage)
                captures.append((cp, part, when))
                capturable -= part
                cursor = when
        if scenario in ("partial_reverse", "reverse") and capturable > 0:
            when = self._after(cursor, CAPTURE_SPACING_SECONDS)
            if when is not None:
                self._row(rows, shared, "RV", pa, capturable, SUCCESS, when, f"{txid}-RV", None)
        for n, (cp, part, when) in enumerate(captures, start=1):
            self._money_children(rows, shared, cp, part, when, f"{txid}-CP{n}", usage)

    def _split(self, amount: int, scenario: str) -> list[int]:
        """Capture amounts: the whole amount, or parts of it (partial ones leave a rest)."""
        rng = self.rng
        if scenario == "full" or amount < 4:
            return [amount]
        count = _randint(rng, 2, 3) if scenario == "multi_full" else _randint(rng, 1, 3)
        parts: list[int] = []
        left = amount
        for _ in range(count):
            part = max(1, int(left * rng.uniform(0.2, 0.6)))
            if part >= left:
                break
            parts.append(part)
            left -= part
        if scenario == "multi_full":
            parts.append(left)
        return parts or [max(1, amount // 2)]

    def _rebills(
        self, rows: list[Row], shared: Row, db: str, amount: int, created: datetime, txid: str, usage: str
    ) -> None:
        rng = self.rng
        cursor = created
        for n in range(1, _randint(rng, 1, 4) + 1):
            when = self._after(cursor, 35 * DAY, minimum=20 * DAY)
            if when is None:
                return
            point = rng.random()
            if point < 0.1:
                code = cat.REJECTED_CODES.draw(rng)
            elif point < 0.15:
                code = PENDING
            else:
                code = SUCCESS
            rb_txid = f"{txid}-RB{n}"
            rb = self._row(rows, shared, "RB", db, amount, code, when, rb_txid, usage)
            if code == SUCCESS:
                self._money_children(rows, shared, rb, amount, when, rb_txid, usage)
            cursor = when

    def _money_children(
        self, rows: list[Row], shared: Row, parent: str, amount: int, created: datetime, txid: str, usage: str
    ) -> None:
        """Refunds, chargebacks and chargeback reversals below a CP, DB or RB."""
        rng = self.rng
        scenario = _MONEY_SCENARIOS.draw(rng)
        if scenario == "none":
            return
        state = _Collected(self, rows, shared, parent, amount, created, txid, usage)
        match scenario:
            case "refund_full":
                state.refund(state.refundable)
            case "refund_partial":
                state.refund(state.part())
            case "refund_multi":
                for _ in range(_randint(rng, 2, 3)):
                    state.refund(state.part())
                if rng.random() < 0.5:
                    state.refund(state.refundable)
            case "chargeback":
                state.chargeback(state.refundable if rng.random() < 0.85 else state.part())
            case "chargeback_reversed":
                cb = state.chargeback(state.refundable)
                state.chargeback_reversal(cb if rng.random() < 0.8 else max(1, cb // 2))
            case "reversed_then_refund":
                cb = state.chargeback(state.part())
                state.chargeback_reversal(cb)
                state.refund(state.part())
            case "refund_then_chargeback":
                state.refund(state.part())
                state.chargeback(state.refundable)
            case "refund_pending":
                state.refund(state.part(), code=PENDING)
            case "refund_rejected":
                state.refund(state.part(), code=cat.REJECTED_CODES.draw(rng))
                state.refund(state.part())

    # -- helpers -------------------------------------------------------------------

    def _after(self, t: datetime, spread: int, minimum: int = 60) -> datetime | None:
        """A moment after ``t``: ``minimum`` to ``spread`` seconds later, and always before now.

        Near now, where the usual gap no longer fits, the moment falls somewhere between
        ``t`` and now (at least a few seconds after ``t``), so recent children keep
        distinct, ordered timestamps instead of piling up on now.
        """
        room = int((self.now - t).total_seconds()) - 1  # latest offset that stays before now
        if room < 1:
            return None
        if room <= minimum:  # at most half of what is left, so later siblings still fit
            low = min(MIN_GAP_SECONDS, max(1, room // 2))
            high = max(low, room // 2)
        else:
            low = minimum
            high = max(low, min(spread, room))
        return t + timedelta(seconds=_randint(self.rng, low, high))

    def _uuid(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _row(
        self,
        rows: list[Row],
        shared: Row,
        tx_type: str,
        parent: str | None,
        amount: int,
        code: str,
        created: datetime,
        txid: str,
        usage: str | None,
        memo: str | None = None,
    ) -> str:
        uuid = self._uuid()
        rows.append(
            {
                **shared,
                "uuid": uuid,
                "transaction_id": txid,
                "type": tx_type,
                "parent_uuid": parent,
                "amount_minor": amount,
                "result_code": code,
                "result_description": _describe(code),
                "status": _status(code),
                "usage": usage,
                "memo": memo,
                "created_at": created,
                "source": "gateway",
                "created_by": None,
            }
        )
        return uuid

    def _customer(self, merchant: cat.Merchant, currency: str) -> Row:
        rng = self.rng
        country = merchant.country if rng.random() < 0.8 else _choice(rng, cat.FOREIGN_COUNTRIES)
        first = _choice(rng, cat.FIRST_NAMES[country])
        last = _choice(rng, cat.LAST_NAMES[country])
        name = f"{first} {last}"
        suffix = str(_randint(rng, 1, 99)) if rng.random() < 0.5 else ""
        local = f"{cat.ascii_fold(first)}.{cat.ascii_fold(last)}{suffix}"
        email = f"{local}@{_choice(rng, cat.MAIL_DOMAINS[country])}".lower()
        table = cat.INSTRUMENTS_SEPA if currency in cat.SEPA_CURRENCIES else cat.INSTRUMENTS_CARDS
        method, brand, _, prefixes = table.draw(rng)
        bin_: str | None = None
        last4: str | None = f"{int(rng.random() * 10_000):04d}"
        holder: str | None = name.upper() if rng.random() < 0.3 else name
        if prefixes:
            prefix = _choice(rng, prefixes)
            rest = 6 - len(prefix)
            bin_ = f"{prefix}{int(rng.random() * 10**rest):0{rest}d}"
        elif method == "VA":
            last4 = None
            holder = None
        return {
            "currency": currency,
            "merchant": merchant.name,
            "channel": _choice(rng, merchant.channels),
            "payment_method": method,
            "brand": brand,
            "bin": bin_,
            "last4": last4,
            "holder": holder,
            "holder_lc": holder.lower() if holder else None,
            "customer_name": name,
            "customer_email": email,
            "customer_country": country,
        }


class _Collected:
    """Running balance of one CP/DB/RB while its children are drawn."""

    def __init__(
        self,
        factory: ChainFactory,
        rows: list[Row],
        shared: Row,
        parent: str,
        amount: int,
        created: datetime,
        txid: str,
        usage: str,
    ) -> None:
        self.f = factory
        self.rows = rows
        self.shared = shared
        self.parent = parent
        self.refundable = amount
        self.cursor = created
        self.txid = txid
        self.usage = usage
        self.refunds = 0
        self.open_chargeback: tuple[str, int, datetime] | None = None
        self.charged_back = False

    def part(self) -> int:
        return max(1, int(self.refundable * self.f.rng.uniform(0.15, 0.6)))

    def refund(self, amount: int, code: str = SUCCESS) -> None:
        if self.open_chargeback or amount <= 0 or amount > self.refundable:
            return
        when = self.f._after(self.cursor, 20 * DAY)
        if when is None:
            return
        self.refunds += 1
        txid = f"{self.txid}-RF{self.refunds}"
        usage = self.usage.replace(" ORDER ", " REFUND ", 1)
        memo = "Customer returned the goods" if self.f.rng.random() < 0.2 else None
        self.f._row(self.rows, self.shared, "RF", self.parent, amount, code, when, txid, usage, memo)
        if _status(code) != "rejected":
            self.refundable -= amount
        self.cursor = when

    def chargeback(self, amount: int) -> int:
        if self.charged_back or amount <= 0 or amount > self.refundable:
            return 0
        when = self.f._after(self.cursor, 60 * DAY, minimum=DAY // 2)
        if when is None:
            return 0
        code = EXTERNAL_UPDATE if self.f.rng.random() < 0.3 else SUCCESS
        memo = _choice(self.f.rng, cat.CHARGEBACK_REASONS)
        cb = self.f._row(
            self.rows, self.shared, "CB", self.parent, amount, code, when, f"{self.txid}-CB", None, memo
        )
        self.refundable -= amount
        self.charged_back = True
        self.open_chargeback = (cb, amount, when)
        self.cursor = when
        return amount

    def chargeback_reversal(self, amount: int) -> None:
        if self.open_chargeback is None:
            return
        cb, cb_amount, cb_when = self.open_chargeback
        amount = min(amount, cb_amount)
        when = self.f._after(cb_when, 45 * DAY, minimum=DAY // 4)
        if when is None or amount <= 0:
            return
        memo = "Dispute won: representment accepted"
        self.f._row(self.rows, self.shared, "CR", cb, amount, SUCCESS, when, f"{self.txid}-CR", None, memo)
        self.refundable += amount
        self.open_chargeback = None
        self.cursor = when
