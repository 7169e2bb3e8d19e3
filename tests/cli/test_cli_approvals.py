"""`bo approvals` and `bo run` above a threshold, as an installed program on both backends."""

from __future__ import annotations

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx, add_user


def _request(ctx: Context, bo: Bo, amount: str = "1500.00") -> tuple[str, str, int]:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    run = bo("run", "refund", "--reason", "duplicate", parent, "--as", analyst, "--amount", amount, "--json")
    assert run.code == 4, run.stderr
    assert run.json["outcome"] == "awaiting_approval" and isinstance(run.json["request_id"], int)
    return parent, analyst, run.json["request_id"]


def test_run_above_the_threshold_answers_awaiting_approval_with_exit_4(ctx: Context, bo: Bo) -> None:
    parent, _, _ = _request(ctx, bo)
    balances = bo("show", parent, "--json").json["balances"]
    assert balances["awaiting_approval"] == "1500.00" and balances["available"] == "3500.00"


def test_list_shows_the_contract_keys(ctx: Context, bo: Bo) -> None:
    parent, analyst, rid = _request(ctx, bo)
    [item] = bo("approvals", "list", "--state", "open", "--json").json
    assert {
        "id": rid,
        "state": "open",
        "operation": "refund",
        "parent_uuid": parent,
        "amount": "1500.00",
        "currency": "EUR",
        "requested_by": analyst,
        "decided_by": None,
        "reason": None,
        "child_uuid": None,
    }.items() <= item.items()
    assert bo("approvals", "list", "--state", "approved", "--json").json == []
    other = add_user(ctx, "analyst")
    assert bo("approvals", "list", "--as", other, "--json").json == []  # not an approver: own only


def test_the_requester_cannot_approve_through_the_cli_and_the_request_stays_open(
    ctx: Context, bo: Bo
) -> None:
    _, analyst, rid = _request(ctx, bo)
    own = bo("approvals", "approve", str(rid), "--as", analyst, "--json")
    assert own.code == 1 and "may not approve" in own.stderr
    manager = add_user(ctx, "manager")
    viewer = add_user(ctx, "viewer")
    assert bo("approvals", "approve", str(rid), "--as", viewer).code == 1
    assert bo("approvals", "list", "--json").json[0]["state"] == "open"
    done = bo("approvals", "approve", str(rid), "--as", manager, "--json")
    assert done.code == 0, done.stderr
    assert done.json["state"] == "approved" and done.json["decided_by"] == manager
    assert len(done.json["child_uuid"]) == 32
    again = bo("approvals", "approve", str(rid), "--as", manager)
    assert again.code == 1


def test_reject_without_a_reason_is_a_usage_error_and_cancel_is_for_the_requester(
    ctx: Context, bo: Bo
) -> None:
    _, _, rid = _request(ctx, bo)
    manager = add_user(ctx, "manager")
    assert bo("approvals", "reject", str(rid), "--as", manager).code == 2
    assert bo("approvals", "approve", str(rid)).code == 2  # --as is required
    assert bo("approvals", "approve", "abc", "--as", manager).code == 2
    assert bo("approvals", "cancel", str(rid), "--as", manager).code == 1
    rejected = bo("approvals", "reject", str(rid), "--as", manager, "--reason", "not agreed", "--json")
    assert rejected.code == 0 and rejected.json["reason"] == "not agreed"
    _, analyst2, rid2 = _request(ctx, bo)
    cancelled = bo("approvals", "cancel", str(rid2), "--as", analyst2, "--json")
    assert cancelled.code == 0 and cancelled.json["state"] == "cancelled"


def test_audit_anchor_then_verify_with_the_anchor(ctx: Context, bo: Bo, tmp_path: object) -> None:
    import json
    from pathlib import Path

    _request(ctx, bo)
    run = bo("audit", "anchor")
    line = json.loads(run.stdout)
    assert run.code == 0 and set(line) == {"seq", "hash", "at"} and run.stdout.count("\n") == 1
    path = Path(str(tmp_path)) / "anchor.json"
    path.write_text(run.stdout)
    assert bo("audit", "verify", "--anchor", str(path)).code == 0
    path.write_text("garbage")
    assert bo("audit", "verify", "--anchor", str(path)).code == 2
