"""Which operations a transaction offers: every type x status x role cell, then balances.

The expected table is written out here from the spec (seed table and default
roles), independently of ``AVAILABILITY``, so a change to either side fails.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bo_core.domain import result_codes as rc
from bo_core.domain.availability import available_operations, refusal
from bo_core.domain.balances import Balances, TxFacts, compute_balances
from bo_core.domain.errors import PermissionDenied
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission, Role, load_roles
from bo_core.domain.types import Operation, Status, TxType

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
RECENT = NOW - timedelta(hours=1)
ROLES = load_roles(None)

# Spec, "Which operations a transaction offers" (by type code).
SPEC_TYPE_OPERATIONS: dict[str, set[str]] = {
    "PA": {"capture", "reversal"},
    "CP": {"refund", "chargeback"},
    "DB": {"rebill", "refund", "chargeback"},
    "CB": {"chargeback_reversal"},
    "RF": set(),
    "RB": {"refund", "chargeback"},
    "RV": set(),
    "CR": set(),
}
# Spec, "Roles and permissions" (operations only; each role includes the one above).
_ANALYST = {"capture", "reversal", "refund", "rebill"}
_MANAGER = _ANALYST | {"chargeback", "chargeback_reversal"}
SPEC_ROLE_OPERATIONS: dict[str, set[str]] = {
    "viewer": set(),
    "analyst": _ANALYST,
    "manager": _MANAGER,
    "admin": _MANAGER,
}


def tx(type_: str, minor: int = 10_000, status: Status = Status.SUCCESS, currency: str = "EUR") -> TxFacts:
    return TxFacts(uuid.uuid4().hex, TxType(type_), status, Money(minor, currency))


def ops(
    parent: TxFacts,
    balances: Balances,
    role: str = "admin",
    created_at: datetime = RECENT,
) -> set[str]:
    found = available_operations(parent.type, parent.status, created_at, balances, ROLES[role], NOW, WINDOW)
    assert len(found) == len(set(found)), "an operation is listed twice"
    return {op.value for op in found}


def why(op: Operation, parent: TxFacts, balances: Balances, role: str = "admin") -> str | None:
    reason = refusal(op, parent.type, parent.status, RECENT, balances, ROLES[role], NOW, WINDOW)
    return None if reason is None else reason.result_code


CELLS = list(itertools.product(SPEC_TYPE_OPERATIONS, list(Status), SPEC_ROLE_OPERATIONS))


def test_the_spec_tables_cover_every_type_status_and_role() -> None:
    assert set(SPEC_TYPE_OPERATIONS) == {t.value for t in TxType}
    assert set(SPEC_ROLE_OPERATIONS) == set(ROLES)
    assert len(CELLS) == 8 * 3 * 4


@pytest.mark.parametrize(("tx_type", "status", "role"), CELLS, ids=["-".join(map(str, c)) for c in CELLS])
def test_available_operations_match_the_spec_for_every_type_status_and_role(
    tx_type: str, status: Status, role: str
) -> None:
    parent = tx(tx_type, status=status)
    balances = compute_balances(parent, [])  # nothing booked yet: every balance leaves room
    expected = (
        SPEC_TYPE_OPERATIONS[tx_type] & SPEC_ROLE_OPERATIONS[role] if status is Status.SUCCESS else set()
    )
    assert ops(parent, balances, role) == expected


@pytest.mark.parametrize("role", list(SPEC_ROLE_OPERATIONS))
@pytest.mark.parametrize("op", list(Operation))
def test_refusal_for_a_missing_permission_is_permission_denied_with_its_code(
    role: str, op: Operation
) -> None:
    parent_type = {"capture": "PA", "reversal": "PA", "chargeback_reversal": "CB"}.get(op.value, "DB")
    parent = tx(parent_type)
    reason = refusal(
        op, parent.type, parent.status, RECENT, compute_balances(parent, []), ROLES[role], NOW, WINDOW
    )
    if op.value in SPEC_ROLE_OPERATIONS[role]:
        assert reason is None
    else:
        assert isinstance(reason, PermissionDenied)
        assert reason.result_code == rc.PERMISSION_DENIED
        assert role in reason.message


def test_wrong_type_is_refused_before_status_and_role() -> None:
    rejected_refund = tx("RF", status=Status.REJECTED)
    reason = refusal(
        Operation.CAPTURE,
        TxType.RF,
        Status.REJECTED,
        RECENT,
        compute_balances(rejected_refund, []),
        ROLES["viewer"],
        NOW,
        WINDOW,
    )
    assert reason is not None and reason.result_code == rc.WRONG_TYPE


@pytest.mark.parametrize(
    ("status", "code"), [(Status.PENDING, rc.PARENT_PENDING), (Status.REJECTED, rc.PARENT_REJECTED)]
)
def test_a_pending_or_rejected_parent_is_refused_with_its_own_code(status: Status, code: str) -> None:
    parent = tx("DB", status=status)
    assert why(Operation.REFUND, parent, compute_balances(parent, [])) == code


# Balance-driven unavailability (the role is admin: everything is permitted).


def test_fully_captured_pre_authorization_offers_neither_capture_nor_reversal() -> None:
    pa = tx("PA", 10_000)
    b = compute_balances(pa, [tx("CP", 6_000), tx("CP", 4_000)])
    assert ops(pa, b) == set()
    assert why(Operation.CAPTURE, pa, b) == rc.CAPTURE_EXCEEDS_AUTHORIZED
    assert why(Operation.REVERSAL, pa, b) == rc.NOTHING_TO_REVERSE


def test_partially_captured_pre_authorization_still_offers_capture_and_reversal() -> None:
    pa = tx("PA", 10_000)
    assert ops(pa, compute_balances(pa, [tx("CP", 9_999)])) == {"capture", "reversal"}


def test_reversed_pre_authorization_offers_no_capture_and_no_second_reversal() -> None:
    pa = tx("PA", 10_000)
    b = compute_balances(pa, [tx("CP", 3_000), tx("RV", 7_000)])
    assert ops(pa, b) == set()
    assert why(Operation.CAPTURE, pa, b) == rc.CAPTURE_EXCEEDS_AUTHORIZED
    assert why(Operation.REVERSAL, pa, b) == rc.ALREADY_PROCESSED


def test_pre_authorization_older_than_the_capture_window_offers_reversal_only() -> None:
    pa = tx("PA", 10_000)
    b = compute_balances(pa, [])
    old = NOW - WINDOW - timedelta(seconds=1)
    assert ops(pa, b, created_at=old) == {"reversal"}
    reason = refusal(Operation.CAPTURE, TxType.PA, Status.SUCCESS, old, b, ROLES["admin"], NOW, WINDOW)
    assert reason is not None and reason.result_code == rc.CAPTURE_WINDOW_EXPIRED
    assert "30 days" in reason.message


def test_pre_authorization_exactly_at_the_window_edge_can_still_be_captured() -> None:
    pa = tx("PA", 10_000)
    assert ops(pa, compute_balances(pa, []), created_at=NOW - WINDOW) == {"capture", "reversal"}


@pytest.mark.parametrize("parent_type", ["CP", "DB", "RB"])
def test_refunded_to_zero_offers_no_refund_and_no_chargeback(parent_type: str) -> None:
    parent = tx(parent_type, 10_000)
    b = compute_balances(parent, [tx("RF", 2_500), tx("RF", 7_500)])
    expected = {"rebill"} if parent_type == "DB" else set()
    assert ops(parent, b) == expected
    assert why(Operation.REFUND, parent, b) == rc.REFUND_VOLUME_EXCEEDED
    assert why(Operation.CHARGEBACK, parent, b) == rc.REFUND_VOLUME_EXCEEDED


def test_open_chargeback_blocks_refund_until_it_is_reversed() -> None:
    db = tx("DB", 10_000)
    cb = tx("CB", 4_000)
    open_cb = compute_balances(db, [cb])
    assert ops(db, open_cb) == set()  # no rebill either while the chargeback is open
    assert why(Operation.REBILL, db, open_cb) == rc.OPEN_CHARGEBACK
    assert why(Operation.REFUND, db, open_cb) == rc.OPEN_CHARGEBACK
    assert why(Operation.CHARGEBACK, db, open_cb) == rc.ALREADY_CHARGED_BACK

    reversed_cb = compute_balances(db, [cb], [(cb.uuid, tx("CR", 4_000))])
    assert ops(db, reversed_cb) == {"rebill", "refund"}
    assert why(Operation.CHARGEBACK, db, reversed_cb) == rc.ALREADY_CHARGED_BACK


def test_pending_chargeback_blocks_refund_like_a_booked_one() -> None:
    cp = tx("CP", 10_000)
    b = compute_balances(cp, [tx("CB", 1_000, Status.PENDING)])
    assert why(Operation.REFUND, cp, b) == rc.OPEN_CHARGEBACK


def test_rejected_chargeback_blocks_nothing() -> None:
    cp = tx("CP", 10_000)
    assert ops(cp, compute_balances(cp, [tx("CB", 10_000, Status.REJECTED)])) == {"refund", "chargeback"}


def test_chargeback_with_a_reversal_offers_no_second_reversal() -> None:
    cb = tx("CB", 4_000)
    b = compute_balances(cb, [tx("CR", 1_000)])
    assert ops(cb, b) == set()
    assert why(Operation.CHARGEBACK_REVERSAL, cb, b) == rc.ALREADY_PROCESSED


def test_chargeback_with_a_rejected_reversal_still_offers_one() -> None:
    cb = tx("CB", 4_000)
    assert ops(cb, compute_balances(cb, [tx("CR", 4_000, Status.REJECTED)])) == {"chargeback_reversal"}


def test_fully_refunded_debit_still_offers_rebill_within_role() -> None:
    db = tx("DB", 10_000)
    b = compute_balances(db, [tx("RF", 10_000)])
    assert ops(db, b, "analyst") == {"rebill"}
    assert ops(db, b, "viewer") == set()


def test_available_operations_list_follows_the_table_order_of_the_type() -> None:
    db = tx("DB")
    found = available_operations(
        TxType.DB, Status.SUCCESS, RECENT, compute_balances(db, []), ROLES["admin"], NOW, WINDOW
    )
    assert [o.value for o in found] == ["rebill", "refund", "chargeback"]


def test_custom_role_with_one_operation_permission_is_offered_exactly_that_operation() -> None:
    refunder = Role("refunder", frozenset({Permission.TRANSACTIONS_VIEW, Permission.REFUND}))
    db = tx("DB")
    found = available_operations(
        TxType.DB, Status.SUCCESS, RECENT, compute_balances(db, []), refunder, NOW, WINDOW
    )
    assert [o.value for o in found] == ["refund"]
