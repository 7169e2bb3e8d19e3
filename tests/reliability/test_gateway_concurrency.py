"""16 concurrent refunds of one capture in gateway mode: never more refunded at the gateway than captured."""

from __future__ import annotations

import threading

from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.show import show_transaction
from tests.factories import add_user
from tests.gateway_support import SandboxProcess, children_at_gateway, in_opp_mode, parent_at_gateway

THREADS = 16


def test_sixteen_concurrent_refunds_never_over_refund_at_the_gateway(
    ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(ctx, sandbox.url)
    analysts = [add_user(opp, "analyst") for _ in range(4)]
    pa = parent_at_gateway(sandbox, opp, "PA", "100.00")
    capture = run_operation(opp, OperationRequest("capture", pa, analysts[0], amount="100.00"))
    assert capture.outcome == "success" and capture.uuid
    sandbox.faults({"kind": "delay", "seconds": 0.2, "on": "RF", "times": THREADS})  # calls overlap
    barrier = threading.Barrier(THREADS)
    results: list[OperationResult] = []
    errors: list[BaseException] = []

    def refund(i: int) -> None:
        try:
            barrier.wait()
            results.append(
                run_operation(
                    opp,
                    OperationRequest(
                        "refund",
                        capture.uuid or "",
                        analysts[i % 4],
                        amount="15.00",
                        reason="requested_by_customer",
                    ),
                )
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    refunds = [c for c in children_at_gateway(sandbox, capture.uuid) if c["paymentType"] == "RF"]
    assert sum(c["minor"] for c in refunds if c["result"]["code"].startswith("000.")) <= 10_000
    assert len(refunds) == 6  # bo reserved what it sent: the 7th and later were refused before sending
    assert sorted(r.outcome for r in results) == ["refused"] * 10 + ["success"] * 6
    assert show_transaction(opp, capture.uuid, actor=SYSTEM).balances["refunded"].to_str() == "90.00"
