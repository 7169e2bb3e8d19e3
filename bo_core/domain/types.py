"""Enumerations of the domain, stored by value."""

from __future__ import annotations

from enum import StrEnum


class TxType(StrEnum):
    """The eight transaction types, by their two-letter code."""

    PA = "PA"  # Pre-Authorization
    CP = "CP"  # Capture
    DB = "DB"  # Debit
    RB = "RB"  # Rebill
    RV = "RV"  # Reversal (Cancel)
    RF = "RF"  # Refund
    CB = "CB"  # Chargeback
    CR = "CR"  # Chargeback Reversal

    @property
    def label(self) -> str:
        return TX_TYPE_LABELS[self]

    @property
    def cash_flow(self) -> int:
        """+1 money in, -1 money out, 0 no money moves."""
        return CASH_FLOW[self]


TX_TYPE_LABELS: dict[TxType, str] = {
    TxType.PA: "Pre-Authorization",
    TxType.CP: "Capture",
    TxType.DB: "Debit",
    TxType.RB: "Rebill",
    TxType.RV: "Reversal",
    TxType.RF: "Refund",
    TxType.CB: "Chargeback",
    TxType.CR: "Chargeback Reversal",
}

CASH_FLOW: dict[TxType, int] = {
    TxType.PA: 0,
    TxType.RV: 0,
    TxType.CP: 1,
    TxType.DB: 1,
    TxType.RB: 1,
    TxType.CR: 1,
    TxType.RF: -1,
    TxType.CB: -1,
}


class Status(StrEnum):
    SUCCESS = "success"
    PENDING = "pending"
    REJECTED = "rejected"


class Operation(StrEnum):
    """Back-office operations; each creates a child transaction of one type."""

    CAPTURE = "capture"
    REVERSAL = "reversal"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    CHARGEBACK_REVERSAL = "chargeback_reversal"
    REBILL = "rebill"

    @property
    def child_type(self) -> TxType:
        return OPERATION_CHILD_TYPE[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def takes_amount(self) -> bool:
        """A reversal releases the whole open amount: no amount is entered."""
        return self is not Operation.REVERSAL


OPERATION_CHILD_TYPE: dict[Operation, TxType] = {
    Operation.CAPTURE: TxType.CP,
    Operation.REVERSAL: TxType.RV,
    Operation.REFUND: TxType.RF,
    Operation.CHARGEBACK: TxType.CB,
    Operation.CHARGEBACK_REVERSAL: TxType.CR,
    Operation.REBILL: TxType.RB,
}


class Source(StrEnum):
    GATEWAY = "gateway"
    BACK_OFFICE = "back_office"
    IMPORT = "import"


class Outcome(StrEnum):
    SUCCESS = "success"
    REFUSED = "refused"
    # Gateway mode: an attempt in flight, and a child the gateway turned down.
    PENDING = "pending"
    REJECTED = "rejected"
    AWAITING_APPROVAL = "awaiting_approval"


class ApprovalState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
