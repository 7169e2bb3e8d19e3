"""An approved request in gateway mode is sent to the gateway like any other operation."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.services import approvals
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_user
from tests.gateway_support import (
    ENTITY,
    TOKEN,
    SandboxProcess,
    bo_children,
    children_at_gateway,
    in_opp_mode,
    parent_at_gateway,
)


@pytest.fixture
def opp(sqlite_ctx: Context, sandbox: SandboxProcess) -> Iterator[Context]:
    yield in_opp_mode(sqlite_ctx, sandbox.url)


def test_an_approved_refund_is_sent_and_the_gateway_answer_becomes_the_child(
    opp: Context, sandbox: SandboxProcess
) -> None:
    parent = parent_at_gateway(sandbox, opp, "DB", "5000.00")
    analyst, manager = add_user(opp, "analyst"), add_user(opp, "manager")
    asked = run_operation(
        opp, OperationRequest("refund", parent, analyst, amount="1500.00", reason="requested_by_customer")
    )
    assert asked.outcome == "awaiting_approval" and asked.request_id is not None
    assert children_at_gateway(sandbox, parent) == []  # nothing is sent before the approval

    decided = approvals.approve(opp, asked.request_id, actor=manager)

    [sent] = children_at_gateway(sandbox, parent)
    assert sent["paymentType"] == "RF" and sent["amount"] == "1500.00"
    [child] = bo_children(opp, parent)
    assert child.uuid == sent["id"] and child.status == "success"  # the gateway's id is the UUID
    assert decided.state == "approved" and decided.outcome == "success"
    assert decided.child_uuid == sent["id"]
    [view] = approvals.list_approvals(opp, actor=SYSTEM)
    assert view.child_uuid == sent["id"] and view.outcome == "success"


def test_a_gateway_rejection_of_an_approved_refund_is_the_requests_outcome(
    opp: Context, sandbox: SandboxProcess
) -> None:
    parent = parent_at_gateway(sandbox, opp, "DB", "5000.00")
    analyst, manager = add_user(opp, "analyst"), add_user(opp, "manager")
    asked = run_operation(
        opp, OperationRequest("refund", parent, analyst, amount="1500.00", reason="requested_by_customer")
    )
    assert asked.request_id is not None
    # Meanwhile the gateway booked a refund bo does not know of: it refuses the approved one.
    httpx.post(
        f"{sandbox.url}/v1/payments/{parent}",
        data={"entityId": ENTITY, "paymentType": "RF", "amount": "4000.00", "currency": "EUR"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).raise_for_status()

    decided = approvals.approve(opp, asked.request_id, actor=manager)

    assert decided.outcome == "rejected" and decided.result_code == "700.400.200"
    [child] = bo_children(opp, parent)
    assert child.status == "rejected"
