"""The shared ingest function on both backends: idempotent, order-independent, audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bo_core.db.gateway_models import GatewayInbox
from bo_core.db.models import AuditRecord
from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.gateway_ingest import KEPT, UNCHANGED, ingest
from bo_core.services.gateway_reconcile import reconcile
from bo_core.services.show import show_transaction
from tests.factories import add_user, row_counts
from tests.gateway_support import ENTITY, TOKEN, SandboxProcess, in_opp_mode, parent_at_gateway


def inbox_size(ctx: Context) -> int:
    with ctx.db.uow() as uow:
        return len(uow.session.execute(select(GatewayInbox.id)).all())


def test_a_refund_of_an_unresolved_capture_waits_and_is_stored_once_the_capture_is_known(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(ctx, sandbox.url)
    analyst = add_user(opp, "analyst")
    pa = parent_at_gateway(sandbox, opp, "PA", "100.00")
    sandbox.faults({"kind": "reset_after_booking"})
    sent = run_operation(opp, OperationRequest("capture", pa, analyst, amount="60.00"))
    assert sent.outcome == "unknown"
    [capture] = list(sandbox.state(pa).values())
    refund = httpx.post(
        f"{sandbox.url}/v1/payments/{capture['id']}",
        data={"entityId": ENTITY, "paymentType": "RF", "amount": "10.00", "currency": "EUR"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()
    assert ingest(opp, refund, "webhook").outcome == KEPT  # bo does not know the capture's id yet
    assert inbox_size(opp) == 1
    assert reconcile(opp, 0, actor=SYSTEM).resolved[0]["uuid"] == capture["id"]
    assert inbox_size(opp) == 0
    details = show_transaction(opp, capture["id"], actor=SYSTEM)
    assert [c.uuid for c in details.children] == [refund["id"]]
    assert details.balances["refunded"].to_str() == "10.00"


def test_a_status_change_is_audited_with_who_made_it_and_never_repeated(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(ctx, sandbox.url)
    analyst = add_user(opp, "analyst")
    db = parent_at_gateway(sandbox, opp, "DB", "30.00")
    sandbox.faults({"kind": "error_after_booking"})
    sent = run_operation(
        opp, OperationRequest("refund", db, analyst, amount="30.00", reason="requested_by_customer")
    )
    assert (
        sent.outcome == "unknown"
        and show_transaction(opp, db, actor=SYSTEM).balances["available"].to_str() == "0.00"
    )
    [record] = list(sandbox.state(db).values())
    assert ingest(opp, record, "webhook").outcome == "updated"
    counts = row_counts(opp)
    assert ingest(opp, record, "webhook").outcome == UNCHANGED
    assert reconcile(opp, 0, actor=SYSTEM).checked == 0
    assert row_counts(opp) == counts
    with opp.db.uow() as uow:
        who = [
            (r.username, r.outcome)
            for r in uow.session.execute(select(AuditRecord).where(AuditRecord.parent_uuid == db)).scalars()
        ]
    assert who == [(analyst, "pending"), ("webhook", "success")]
    assert show_transaction(opp, record["id"], actor=SYSTEM).transaction.created_by == analyst
