"""`bo run --stdin`: many operations in one process, one JSON result per input line."""

from __future__ import annotations

import json

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx, add_user


def _lines(*objects: object) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def test_every_line_runs_in_order_and_is_answered_by_one_json_line(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    run = bo(
        "run",
        "--stdin",
        stdin=_lines(
            {
                "operation": "refund",
                "uuid": debit,
                "as": analyst,
                "amount": "5.00",
                "transaction_id": "RF-L1",
            },
            {"operation": "refund", "uuid": debit, "as": analyst, "amount": "15.00"},
            {"operation": "refund", "uuid": debit, "as": analyst, "amount": "0.01"},  # 15.01 > 15.00 left
        ),
    )
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(a["line"], a["outcome"]) for a in answers] == [(1, "success"), (2, "success"), (3, "refused")]
    assert answers[0]["transaction_id"] == "RF-L1" and answers[2]["result_code"] == "700.400.200"
    assert run.code == 1  # a refusal among the lines
    children = bo("show", debit, "--json").json["children"]
    assert sorted(c["amount"] for c in children) == ["15.00", "5.00"]


def test_a_malformed_line_is_answered_and_does_not_stop_the_others(ctx: Context, bo: Bo) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    good = {"operation": "refund", "uuid": debit, "as": analyst, "amount": "1.00"}
    run = bo(
        "run",
        "--stdin",
        stdin=_lines(
            "{not json",
            {"operation": "refund", "uuid": debit, "amount": "1.00"},  # no "as"
            {**good, "colour": "red"},
            {**good, "amount": "1e3"},
            good,
        ),
    )
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [a["outcome"] for a in answers] == ["error", "error", "error", "error", "success"]
    assert "missing as" in answers[1]["error"] and "colour" in answers[2]["error"]
    assert "Amount" in answers[3]["error"]
    assert run.code == 2
    assert [c["amount"] for c in bo("show", debit, "--json").json["children"]] == ["1.00"]


def test_all_lines_booked_exit_zero_and_arguments_beside_stdin_are_a_usage_error(
    ctx: Context, bo: Bo
) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    line = {"operation": "refund", "uuid": debit, "as": analyst, "amount": "2.00", "idempotency_key": "k-1"}
    first = bo("run", "--stdin", stdin=_lines(line, line))  # the key replays the first result
    assert first.code == 0
    assert len(bo("show", debit, "--json").json["children"]) == 1
    mixed = bo("run", "refund", debit, "--stdin", stdin=_lines(line))
    assert mixed.code == 2 and "--stdin" in mixed.stderr
    assert bo("run", "refund", debit).code == 2  # no UUID, no --as
