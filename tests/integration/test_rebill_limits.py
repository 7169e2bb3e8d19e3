"""Rebill limits per debit: count, total per currency, no rebill under an open chargeback."""

from __future__ import annotations

import dataclasses

from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.show import show_transaction
from tests.factories import add_tx, add_user


def _rebill(ctx: Context, parent: str, user: str, amount: str) -> OperationResult:
    return run_operation(ctx, OperationRequest("rebill", parent, user, amount=amount))


def test_the_total_rebill_limit_per_debit_holds(ctx: Context) -> None:
    role = dataclasses.replace(
        ctx.settings.role("analyst"), rebill_max_count=100, rebill_total_limits={"*": "2500"}
    )
    ctx.settings = dataclasses.replace(ctx.settings, roles={**ctx.settings.roles, "analyst": role})
    debit = add_tx(ctx, "DB", 1_296, currency="USD")  # the 12.96 USD debit of the review
    analyst = add_user(ctx, "analyst")
    results = [_rebill(ctx, debit, analyst, "1000.00") for _ in range(3)]
    assert [r.ok for r in results[:2]] == [True, True]
    assert results[2].outcome == "refused" and results[2].result_code == rc.REBILL_TOTAL_EXCEEDED
    assert _rebill(ctx, debit, analyst, "500.00").ok  # exactly 2,500 in total


def test_the_rebill_count_per_debit_holds(ctx: Context) -> None:
    debit = add_tx(ctx, "DB", 1_296, currency="USD")
    analyst = add_user(ctx, "analyst")
    results = [_rebill(ctx, debit, analyst, "1.00") for _ in range(6)]
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert results[5].result_code == rc.REBILL_COUNT_EXCEEDED


def test_a_rebill_above_the_threshold_waits_for_approval(ctx: Context) -> None:
    debit = add_tx(ctx, "DB", 1_296, currency="USD")
    result = _rebill(ctx, debit, add_user(ctx, "analyst"), "5000.00")
    assert result.outcome == "awaiting_approval"


def test_no_rebill_is_offered_or_allowed_under_an_open_chargeback(ctx: Context) -> None:
    debit = add_tx(ctx, "DB", 10_000)
    manager = add_user(ctx, "manager")
    cb = run_operation(
        ctx, OperationRequest("chargeback", debit, manager, amount="100.00", reason="requested_by_customer")
    )
    assert cb.ok and cb.uuid
    assert "rebill" not in (show_transaction(ctx, debit, actor=manager).available_operations or [])
    refused = _rebill(ctx, debit, manager, "10.00")
    assert refused.outcome == "refused" and refused.result_code == rc.OPEN_CHARGEBACK
    assert run_operation(ctx, OperationRequest("chargeback_reversal", cb.uuid, manager, amount="100.00")).ok
    assert "rebill" in (show_transaction(ctx, debit, actor=manager).available_operations or [])
    assert _rebill(ctx, debit, manager, "10.00").ok
    assert show_transaction(ctx, debit, actor=SYSTEM).balances["awaiting_approval"].to_str() == "0.00"
