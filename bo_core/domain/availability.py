"""Which operation a transaction offers, and why not when it does not.

One table (type -> operations) and one function, ``refusal``, decide it; the
user interface lists ``available_operations`` and the executor calls the same
``refusal`` before it writes anything. The order of checks follows the spec
(see ``domain.authorization``): type, status, balances, then the user's role.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import role_refusal
from bo_core.domain.balances import Balances
from bo_core.domain.errors import OperationRefused
from bo_core.domain.money import Money
from bo_core.domain.permissions import Role, permission_for
from bo_core.domain.types import Operation, Status, TxType

AVAILABILITY: Mapping[TxType, tuple[Operation, ...]] = {
    TxType.PA: (Operation.CAPTURE, Operation.REVERSAL),
    TxType.CP: (Operation.REFUND, Operation.CHARGEBACK),
    TxType.DB: (Operation.REBILL, Operation.REFUND, Operation.CHARGEBACK),
    TxType.RB: (Operation.REFUND, Operation.CHARGEBACK),
    TxType.CB: (Operation.CHARGEBACK_REVERSAL,),
    TxType.RF: (),
    TxType.RV: (),
    TxType.CR: (),
}
"""The seed's table: a rebill behaves like a debit downstream but is not rebilled."""


def refusal(
    operation: Operation,
    parent_type: TxType,
    parent_status: Status,
    parent_created_at: datetime,
    balances: Balances,
    role: Role,
    now: datetime,
    capture_window: timedelta,
) -> OperationRefused | None:
    """The reason ``operation`` is not possible on this parent for ``role``, or ``None``."""
    if operation not in AVAILABILITY[parent_type]:
        return OperationRefused(
            rc.WRONG_TYPE,
            f"{operation.label} is not possible on a {parent_type.label} transaction",
        )
    if parent_status is Status.PENDING:
        return OperationRefused(rc.PARENT_PENDING, "The transaction is still pending")
    if parent_status is Status.REJECTED:
        return OperationRefused(rc.PARENT_REJECTED, "The transaction was rejected")
    reason = _balance_refusal(operation, parent_created_at, balances, now, capture_window)
    if reason is not None:
        return reason
    return role_refusal(role, permission_for(operation), f"run {operation.label.lower()}")


def _balance_refusal(
    operation: Operation,
    created_at: datetime,
    b: Balances,
    now: datetime,
    capture_window: timedelta,
) -> OperationRefused | None:
    nothing_left = b.available.minor <= 0
    match operation:
        case Operation.CAPTURE:
            if b.reversal_count:
                return OperationRefused(rc.CAPTURE_EXCEEDS_AUTHORIZED, "The pre-authorization was reversed")
            if now - created_at > capture_window:
                days = capture_window.days
                return OperationRefused(
                    rc.CAPTURE_WINDOW_EXPIRED,
                    f"The pre-authorization is older than {days} days and can no longer be captured",
                )
            if nothing_left:
                return OperationRefused(
                    rc.CAPTURE_EXCEEDS_AUTHORIZED, "The pre-authorization is fully captured"
                )
        case Operation.REVERSAL:
            if b.reversal_count:
                return OperationRefused(rc.ALREADY_PROCESSED, "The pre-authorization was already reversed")
            if nothing_left:
                return OperationRefused(rc.NOTHING_TO_REVERSE, "Nothing is left to reverse: fully captured")
        case Operation.REFUND:
            if b.open_chargeback_count:
                return OperationRefused(
                    rc.OPEN_CHARGEBACK, "The transaction has an open chargeback and cannot be refunded"
                )
            if nothing_left:
                return OperationRefused(rc.REFUND_VOLUME_EXCEEDED, "Nothing is left to refund")
        case Operation.CHARGEBACK:
            if b.chargeback_count:
                return OperationRefused(rc.ALREADY_CHARGED_BACK, "The transaction was already charged back")
            if nothing_left:
                return OperationRefused(rc.REFUND_VOLUME_EXCEEDED, "Nothing is left to charge back")
        case Operation.CHARGEBACK_REVERSAL:
            if b.chargeback_reversal_count:
                return OperationRefused(rc.ALREADY_PROCESSED, "The chargeback was already reversed")
            if nothing_left:
                return OperationRefused(rc.CHARGEBACK_REVERSAL_EXCEEDED, "Nothing is left to reverse")
        case Operation.REBILL:
            if b.open_chargeback_count:
                return OperationRefused(
                    rc.OPEN_CHARGEBACK, "The debit has an open chargeback: it cannot be rebilled"
                )
    return None


def available_operations(
    parent_type: TxType,
    parent_status: Status,
    parent_created_at: datetime,
    balances: Balances,
    role: Role,
    now: datetime,
    capture_window: timedelta,
) -> list[Operation]:
    """Operations this user may run now on this transaction: no more, no fewer."""
    return [
        op
        for op in AVAILABILITY[parent_type]
        if refusal(op, parent_type, parent_status, parent_created_at, balances, role, now, capture_window)
        is None
    ]


def check_amount(operation: Operation, amount: Money, balances: Balances, role: Role) -> None:
    """Refuse an amount above what the operation may take."""
    limit_code = {
        Operation.CAPTURE: rc.CAPTURE_EXCEEDS_AUTHORIZED,
        Operation.REFUND: rc.REFUND_VOLUME_EXCEEDED,
        Operation.CHARGEBACK: rc.REFUND_VOLUME_EXCEEDED,
        Operation.CHARGEBACK_REVERSAL: rc.CHARGEBACK_REVERSAL_EXCEEDED,
    }
    if operation is Operation.REBILL:
        limit = role.rebill_limit(amount.currency)
        if limit is not None and amount > limit:
            raise OperationRefused(
                rc.AMOUNT_OVER_ROLE_LIMIT,
                f"Rebill of {amount} exceeds the {role.name} limit of {limit}",
            )
        return
    if operation in limit_code and amount > balances.available:
        raise OperationRefused(
            limit_code[operation],
            f"{operation.label} of {amount} exceeds the available {balances.available}",
        )


def rebill_total_refusal(role: Role, amount: Money, earlier: list[Money]) -> OperationRefused | None:
    """Per debit: at most ``rebill_max_count`` rebills and ``rebill_total_limits`` in total
    (``earlier``: the debit's successful, pending and awaiting-approval rebills)."""
    if role.rebill_max_count is not None and len(earlier) + 1 > role.rebill_max_count:
        return OperationRefused(
            rc.REBILL_COUNT_EXCEEDED,
            f"The debit already has {len(earlier)} rebills; role {role.name} allows {role.rebill_max_count}",
        )
    limit = role.rebill_total_limit(amount.currency)
    if limit is not None:
        total = amount
        for item in earlier:
            total = total + item
        if total > limit:
            return OperationRefused(
                rc.REBILL_TOTAL_EXCEEDED,
                f"Rebills of this debit would total {total}, above the {role.name} limit of {limit}",
            )
    return None
