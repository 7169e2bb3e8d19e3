"""The fault matrix: every injected fault x Capture/Refund/Reversal/Rebill, then reconcile.

The sandbox (its own process) books or not, answers or not, notifies once,
twice or late; bo's webhook receiver (its own process) stores notifications
into the same database while bo sends and reconciles. Afterwards money moved at
the gateway exactly once or not at all, bo and the sandbox agree on every
balance, and every attempt and every status change is audited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.gateway_reconcile import reconcile
from tests.conftest import make_context
from tests.factories import add_user, reason_for
from tests.gateway_support import (
    ReceiverProcess,
    SandboxProcess,
    bo_children,
    children_at_gateway,
    in_opp_mode,
    parent_at_gateway,
    start_receiver,
    start_sandbox,
    wait_for_webhooks,
)

TIMEOUT = 4.0  # a loaded test machine must still answer the plain cases in time
GRACE = 2.0  # after delay_past_timeout the gateway books once its delay is over
FAULTS: dict[str, dict[str, Any]] = {
    "none": {},
    "delay": {"kind": "delay", "seconds": 0.3},
    "timeout_after_booking": {"kind": "timeout_after_booking", "seconds": TIMEOUT + 0.5},
    "delay_past_timeout": {"kind": "delay", "seconds": TIMEOUT + 0.5},
    "5xx_before_booking": {"kind": "error_before_booking"},
    "5xx_after_booking": {"kind": "error_after_booking"},
    "reset_before_booking": {"kind": "reset_before_booking"},
    "reset_after_booking": {"kind": "reset_after_booking"},
    "throttled_429": {"kind": "throttle"},
    "uncertain_900_booked": {"kind": "uncertain", "book": True},
    "uncertain_900_not_booked": {"kind": "uncertain", "book": False},
    "duplicate_webhook": {"kind": "duplicate_webhook"},
    "late_webhook": {"kind": "late_webhook", "seconds": 1.5},
}
DEFINITE = {"none", "delay", "duplicate_webhook", "late_webhook"}
OPERATIONS = {
    "capture": ("PA", "30.00"),
    "refund": ("DB", "30.00"),
    "reversal": ("PA", None),
    "rebill": ("DB", "30.00"),
}
MONEY_TYPES = ("CP", "RV", "RF", "RB")
FIGURES: list[tuple[str, str, str, str, str]] = []  # case, operation, first answer, final status, by whom


def print_figures() -> None:
    """The matrix's outcome table (shown with ``pytest -s``)."""
    if not FIGURES:
        return
    print(f"\nfault matrix: {len(FIGURES)} cases")
    for case in dict.fromkeys(f[0] for f in FIGURES):
        rows = [f for f in FIGURES if f[0] == case]
        answers = "/".join(sorted({r[2] for r in rows}))
        finals = ", ".join(sorted({f"{r[3]} by {r[4]}" for r in rows}))
        print(f"  {case:<40} x{len(rows)}  first answer {answers:<16} final {finals}")


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Context, SandboxProcess, ReceiverProcess]]:
    tmp: Path = tmp_path_factory.mktemp("faults")
    ctx = make_context(f"sqlite:///{tmp / 'bo.sqlite3'}")
    box = start_sandbox()
    receiver = start_receiver(ctx.db.url, box.url)
    box.config(webhook_url=receiver.url)
    in_opp_mode(ctx, box.url, timeout_seconds=TIMEOUT)
    try:
        yield ctx, box, receiver
    finally:
        print_figures()
        receiver.stop()
        box.stop()
        ctx.db.dispose()


def totals_bo(ctx: Context, parent: str) -> dict[str, int]:
    out = dict.fromkeys(MONEY_TYPES, 0)
    for child in bo_children(ctx, parent):
        if child.status == "success":
            out[child.type] += child.amount_minor
    return out


def totals_gateway(box: SandboxProcess, parent: str) -> dict[str, int]:
    out = dict.fromkeys(MONEY_TYPES, 0)
    for child in children_at_gateway(box, parent):
        if child["result"]["code"].startswith("000."):
            out[child["paymentType"]] += child["minor"]
    return out


CASES = [(f, "webhooks") for f in FAULTS] + [(f, "no webhooks") for f in FAULTS if f not in DEFINITE]


@pytest.mark.parametrize(("fault", "delivery"), CASES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_after_any_fault_and_a_reconcile_money_moved_once_or_not_at_all_and_both_sides_agree(
    world: tuple[Context, SandboxProcess, ReceiverProcess], operation: str, fault: str, delivery: str
) -> None:
    ctx, box, receiver = world
    box.config(webhook_url=receiver.url if delivery == "webhooks" else None)
    analyst = add_user(ctx, "analyst")
    parent_type, amount = OPERATIONS[operation]
    parent = parent_at_gateway(box, ctx, parent_type, "100.00")
    box.faults(*([{**FAULTS[fault], "on": "*"}] if FAULTS[fault] else []))

    result = run_operation(
        ctx, OperationRequest(operation, parent, analyst, amount=amount, reason=reason_for(operation))
    )

    if fault in DEFINITE:
        assert result.outcome == "success", result
    elif result.outcome != "success":  # (a notification may have told bo before the call gave up)
        assert (result.outcome, result.status) == ("unknown", "pending"), result
        assert result.pending_reason and "outcome unknown at the gateway" in result.pending_reason
    box.faults()
    if fault == "delay_past_timeout":
        time.sleep(GRACE)  # the reconciler's grace period: a slow gateway finishes what it started
    wait_for_webhooks(box)
    reconcile(ctx, 0, actor=SYSTEM)
    assert reconcile(ctx, 0, actor=SYSTEM).checked == 0  # nothing left pending; a second run finds nothing

    booked = [c for c in children_at_gateway(box, parent) if c["result"]["code"].startswith("000.")]
    assert len(booked) <= 1, "money moved twice at the gateway"
    children = bo_children(ctx, parent)
    assert len(children) == 1, "one attempt, one child: nothing lost, nothing doubled"
    child = children[0]
    if result.outcome == "success":
        assert booked and result.uuid == booked[0]["id"]
    if booked:
        assert (child.status, child.uuid) == ("success", booked[0]["id"])
    else:
        assert (child.status, child.result_code) == ("rejected", "700.400.580")
    assert totals_bo(ctx, parent) == totals_gateway(box, parent)
    with ctx.db.uow() as uow:
        records = [
            (r.outcome, r.username, r.child_uuid)
            for r in uow.session.execute(
                select(AuditRecord).where(AuditRecord.parent_uuid == parent).order_by(AuditRecord.seq)
            ).scalars()
        ]
    assert records[0][:2] == ("pending", analyst)  # the attempt, committed before the call
    assert records[-1][0] == child.status and records[-1][2] == child.uuid  # the final answer
    assert len(records) == 2
    by = "user" if records[-1][1] == analyst else records[-1][1]
    FIGURES.append((f"{fault} ({delivery})", operation, result.outcome, child.status, by))
    if fault not in DEFINITE:
        assert records[-1][1] in (("reconciler", "webhook") if delivery == "webhooks" else ("reconciler",))
