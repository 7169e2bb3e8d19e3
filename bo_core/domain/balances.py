"""Balances of a transaction, computed from its children in one place.

Rules (amounts count SUCCESS and PENDING children, so that two in-flight
operations can never overspend; REJECTED children count for nothing):

- PA: capturable = amount - captured - reversed. A reversal releases all of
  the capturable amount, so after it nothing is capturable.
- CP / DB / RB: refundable = amount - refunded - (charged back - chargeback
  reversed). A chargeback is *open* while it has no chargeback reversal.
- CB: reversible = amount - chargeback reversed, and zero once a reversal exists
  (one chargeback reversal at most).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bo_core.domain.money import Money
from bo_core.domain.types import Status, TxType


@dataclass(frozen=True, slots=True)
class TxFacts:
    """What balance rules need to know of one transaction."""

    uuid: str
    type: TxType
    status: Status
    amount: Money


RELEVANT_BALANCES: Mapping[TxType, tuple[str, ...]] = {
    TxType.PA: ("amount", "captured", "reversed", "available"),
    TxType.CP: ("amount", "refunded", "charged_back", "chargeback_reversed", "available"),
    TxType.DB: ("amount", "refunded", "charged_back", "chargeback_reversed", "available"),
    TxType.RB: ("amount", "refunded", "charged_back", "chargeback_reversed", "available"),
    TxType.CB: ("amount", "chargeback_reversed", "available"),
    TxType.RF: ("amount",),
    TxType.RV: ("amount",),
    TxType.CR: ("amount",),
}
"""Which balances (keys of ``Balances.as_dict()``) mean something for each type, in display order."""


@dataclass(frozen=True, slots=True)
class Balances:
    amount: Money
    captured: Money
    reversed: Money
    refunded: Money
    charged_back: Money
    chargeback_reversed: Money
    reversal_count: int
    chargeback_count: int
    open_chargeback_count: int
    chargeback_reversal_count: int
    available: Money
    """What the main operation may still take: capturable for a PA, refundable
    for CP/DB/RB, reversible for a CB, zero for the rest."""
    awaiting_approval: Money | None = None
    """Reserved by open approval requests (already excluded from ``available``)."""
    pending: Mapping[str, Money] = field(default_factory=dict)
    """Of ``captured``, ``reversed``, ``refunded``, ``charged_back`` and ``chargeback_reversed``:
    the part still PENDING (gateway in flight, or an open approval request). Those totals
    count it, so they never overspend; what is settled is ``settled(name)``."""

    def settled(self, name: str) -> Money:
        """``name`` (e.g. ``refunded``) counting SUCCESS children only."""
        total: Money = getattr(self, name)
        return total - self.pending.get(name, Money.zero(total.currency))

    def amounts(self) -> dict[str, Money]:
        """The amounts by name (the keys of ``RELEVANT_BALANCES``, and ``awaiting_approval``)."""
        return {
            "amount": self.amount,
            "captured": self.captured,
            "reversed": self.reversed,
            "refunded": self.refunded,
            "charged_back": self.charged_back,
            "chargeback_reversed": self.chargeback_reversed,
            "available": self.available,
            "awaiting_approval": self.awaiting_approval or Money.zero(self.amount.currency),
            **{f"{name}_pending": value for name, value in self.pending.items()},
        }

    def as_dict(self) -> dict[str, str]:
        """Decimal strings, for JSON and display."""
        return {
            "amount": self.amount.to_str(),
            "captured": self.captured.to_str(),
            "reversed": self.reversed.to_str(),
            "refunded": self.refunded.to_str(),
            "charged_back": self.charged_back.to_str(),
            "chargeback_reversed": self.chargeback_reversed.to_str(),
            "available": self.available.to_str(),
            "awaiting_approval": (self.awaiting_approval or Money.zero(self.amount.currency)).to_str(),
        }


def _total(items: Iterable[TxFacts], tx_type: TxType, currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        if item.type is tx_type and item.status is not Status.REJECTED:
            total = total + item.amount
    return total


def _pending(items: Iterable[TxFacts], tx_type: TxType, currency: str) -> Money:
    return _total((i for i in items if i.status is Status.PENDING), tx_type, currency)


def _count(items: Iterable[TxFacts], tx_type: TxType) -> int:
    return sum(1 for i in items if i.type is tx_type and i.status is not Status.REJECTED)


def compute_balances(
    parent: TxFacts,
    children: Sequence[TxFacts],
    chargeback_reversals: Sequence[tuple[str, TxFacts]] = (),
) -> Balances:
    """Balances of ``parent`` given its children.

    ``chargeback_reversals`` holds ``(chargeback uuid, CR facts)`` for the CR
    grandchildren below this parent's chargebacks (they reopen refundability).
    For a CB parent its own CR children are simply among ``children``.
    """
    cur = parent.amount.currency
    zero = Money.zero(cur)
    captured = _total(children, TxType.CP, cur)
    reversed_ = _total(children, TxType.RV, cur)
    refunded = _total(children, TxType.RF, cur)
    charged_back = _total(children, TxType.CB, cur)
    live_cbs = {c.uuid for c in children if c.type is TxType.CB and c.status is not Status.REJECTED}
    live_crs = [
        (cb, cr)
        for cb, cr in chargeback_reversals
        if cb in live_cbs and cr.type is TxType.CR and cr.status is not Status.REJECTED
    ]
    cb_reversed = zero
    for _, cr in live_crs:
        cb_reversed = cb_reversed + cr.amount
    open_cbs = len(live_cbs - {cb for cb, _ in live_crs})
    cr_children = _total(children, TxType.CR, cur)
    cr_count = _count(children, TxType.CR)

    available = zero
    if parent.type is TxType.PA:
        available = parent.amount - captured - reversed_
    elif parent.type in (TxType.CP, TxType.DB, TxType.RB):
        available = parent.amount - refunded - (charged_back - cb_reversed)
    elif parent.type is TxType.CB:
        available = zero if cr_count else parent.amount - cr_children
    if available.minor < 0:
        available = zero
    pending = {
        "captured": _pending(children, TxType.CP, cur),
        "reversed": _pending(children, TxType.RV, cur),
        "refunded": _pending(children, TxType.RF, cur),
        "charged_back": _pending(children, TxType.CB, cur),
        "chargeback_reversed": _pending(children, TxType.CR, cur)
        if parent.type is TxType.CB
        else _pending((cr for _, cr in live_crs), TxType.CR, cur),
    }
    return Balances(
        amount=parent.amount,
        captured=captured,
        reversed=reversed_,
        refunded=refunded,
        charged_back=charged_back,
        chargeback_reversed=cr_children if parent.type is TxType.CB else cb_reversed,
        reversal_count=_count(children, TxType.RV),
        chargeback_count=_count(children, TxType.CB),
        open_chargeback_count=open_cbs,
        chargeback_reversal_count=cr_count,
        available=available,
        pending=pending,
    )
