"""An anchor kept outside the database catches a truncated or rewritten chain tail."""

from __future__ import annotations

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.services.anchor import audit_anchor, parse_anchor, verify_against_anchor
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user
from tests.reliability._support import execute_sql
from tests.reliability.test_audit_tamper import drop_guards
from tests.rows import audit_rows


def _refunds(ctx: Context, n: int) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 100_000)
    for i in range(n):
        assert run_operation(
            ctx,
            OperationRequest("refund", parent, user, amount=f"{i + 1}.00", reason="requested_by_customer"),
        ).ok


def test_deleting_the_tail_of_the_chain_is_caught_with_an_anchor(ctx: Context) -> None:
    _refunds(ctx, 5)
    anchor = parse_anchor(audit_anchor(ctx, actor=SYSTEM).to_json())
    assert anchor.seq == audit_rows(ctx)[-1].seq
    assert verify_against_anchor(ctx, anchor, actor=SYSTEM).ok
    _refunds(ctx, 2)  # the chain grows after the anchor: still fine
    assert verify_against_anchor(ctx, anchor, actor=SYSTEM).ok
    drop_guards(ctx)
    execute_sql(ctx, "DELETE FROM audit_log WHERE seq >= :s", s=anchor.seq - 1)
    report = verify_against_anchor(ctx, anchor, actor=SYSTEM)
    assert not report.ok and report.first_bad_seq == anchor.seq and "truncated" in (report.problem or "")


def test_an_empty_chain_anchors_at_zero(ctx: Context) -> None:
    anchor = audit_anchor(ctx, actor=SYSTEM)
    assert anchor.seq == 0 and verify_against_anchor(ctx, anchor, actor=SYSTEM).ok


@pytest.mark.parametrize("text", ["", "{}", "not json", '{"seq": -1, "hash": "00", "at": "x"}', "[1]"])
def test_a_malformed_anchor_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="Anchor"):
        parse_anchor(text)
