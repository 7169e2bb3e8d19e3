"""Concurrent operations on one parent: no balance is ever exceeded.

Sixteen workers (threads sharing one engine, as a web server does, and
separate ``bo`` processes) hit the same parent at the same moment. Afterwards
every attempt has exactly one audit record, successes and refusals add up to
the attempts, no worker saw anything but a result, and the chain verifies.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from bo_core.domain import result_codes as rc
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from tests.factories import add_tx, add_user, reason_for
from tests.reliability._support import assert_chain_ok, cli_available, record, run_cli
from tests.rows import audit_rows, children

pytestmark = pytest.mark.slow  # sixteen workers, threads and processes, per test

WORKERS = 16


@dataclass(frozen=True)
class Attempt:
    """What one worker saw: a result (success or refusal) or an error."""

    result: OperationResult | None = None
    error: str | None = None


def hammer(ctx: Context, requests: list[OperationRequest]) -> list[Attempt]:
    """Submit all requests at once, one thread each, released by a barrier."""
    barrier = threading.Barrier(len(requests))

    def work(req: OperationRequest) -> Attempt:
        barrier.wait()
        try:
            return Attempt(result=run_operation(ctx, req))
        except Exception as exc:  # every exception is a finding
            return Attempt(error=f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(work, requests))


def check_race(ctx: Context, parent: str, attempts: list[Attempt]) -> tuple[int, int]:
    """Invariants common to every race; returns (successes, refusals)."""
    errors = [a.error for a in attempts if a.error is not None]
    assert errors == [], f"workers saw errors instead of results: {errors[:3]}"
    results = [a.result for a in attempts if a.result is not None]
    successes = [r for r in results if r.ok]
    refusals = [r for r in results if r.outcome == "refused"]
    assert len(successes) + len(refusals) == len(attempts)
    assert all(r.message and rc.is_valid_code(r.result_code) for r in refusals)
    rows = audit_rows(ctx, parent)
    assert len(rows) == len(attempts), "every attempt has exactly one audit record"
    assert sorted(r.child_uuid for r in rows if r.outcome == "success") == sorted(
        r.uuid for r in successes if r.uuid
    )
    kids = children(ctx, parent)
    assert sorted(k.uuid for k in kids) == sorted(r.uuid for r in successes if r.uuid)
    assert_chain_ok(ctx)
    return len(successes), len(refusals)


def money_out(ctx: Context, parent: str) -> dict[str, int]:
    """Sum of the children's amounts per type (minor units)."""
    sums: Counter[str] = Counter()
    for kid in children(ctx, parent):
        sums[kid.type] += kid.amount_minor
    return dict(sums)


@dataclass(frozen=True)
class Race:
    name: str
    parent_type: str
    operations: list[tuple[str, str | None]]  # (operation, amount) per worker
    expect_successes: int | None
    check: Callable[[dict[str, int], int], None]


def _pa_not_overcaptured(sums: dict[str, int], amount: int) -> None:
    assert sums.get("CP", 0) + sums.get("RV", 0) <= amount


def _db_not_overrefunded(sums: dict[str, int], amount: int) -> None:
    assert sums.get("RF", 0) + sums.get("CB", 0) - sums.get("CR", 0) <= amount


RACES = [
    Race("capture", "PA", [("capture", "7.00")] * WORKERS, 14, _pa_not_overcaptured),
    Race("refund", "DB", [("refund", "9.00")] * WORKERS, 11, _db_not_overrefunded),
    Race("chargeback", "DB", [("chargeback", "60.00")] * WORKERS, 1, _db_not_overrefunded),
    Race(
        "refund+chargeback",
        "DB",
        [("refund", "15.00"), ("chargeback", "50.00")] * (WORKERS // 2),
        None,
        _db_not_overrefunded,
    ),
    Race(
        "capture+reversal",
        "PA",
        [("capture", "20.00"), ("reversal", None)] * (WORKERS // 2),
        None,
        _pa_not_overcaptured,
    ),
]


@pytest.mark.parametrize("race", RACES, ids=[r.name for r in RACES])
def test_sixteen_threads_on_one_parent_never_exceed_its_balance(ctx: Context, race: Race) -> None:
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, race.parent_type, 10_000)
    requests = [
        OperationRequest(op, parent, user, amount=amount, reason=reason_for(op))
        for op, amount in race.operations
    ]
    attempts = hammer(ctx, requests)
    successes, refusals = check_race(ctx, parent, attempts)
    sums = money_out(ctx, parent)
    race.check(sums, 10_000)
    if race.expect_successes is not None:
        assert successes == race.expect_successes
    kids = children(ctx, parent)
    assert sum(1 for k in kids if k.type in {"CB", "RV"}) <= 1, "one chargeback / reversal at most"
    if race.name == "capture+reversal":
        # Once reversed, nothing more is captured: every capture precedes the reversal.
        order = [k.type for k in kids]
        if "RV" in order:
            assert "CP" not in order[order.index("RV") :]
    record(
        "races",
        ctx,
        scenario=f"threads: {race.name}",
        workers=len(requests),
        attempts=len(attempts),
        successes=successes,
        refusals=refusals,
        errors=0,
        lost=0,
    )


def test_sixteen_threads_reversing_one_chargeback_book_it_once(ctx: Context) -> None:
    user = add_user(ctx, "manager")
    debit = add_tx(ctx, "DB", 10_000)
    chargeback = run_operation(
        ctx, OperationRequest("chargeback", debit, user, amount="50.00", reason="requested_by_customer")
    )
    assert chargeback.ok and chargeback.uuid
    requests = [
        OperationRequest("chargeback_reversal", chargeback.uuid, user, amount="10.00") for _ in range(WORKERS)
    ]
    attempts = hammer(ctx, requests)
    successes, refusals = check_race(ctx, chargeback.uuid, attempts)
    assert successes == 1
    record(
        "races",
        ctx,
        scenario="threads: chargeback_reversal",
        workers=WORKERS,
        attempts=len(attempts),
        successes=successes,
        refusals=refusals,
        errors=0,
        lost=0,
    )


def test_one_idempotency_key_from_sixteen_threads_books_exactly_one_child(ctx: Context) -> None:
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, "PA", 10_000)
    request = OperationRequest("capture", parent, user, amount="10.00", idempotency_key="dialog-7f3a")
    attempts = hammer(ctx, [request] * WORKERS)
    assert [a.error for a in attempts if a.error] == []
    results = [a.result for a in attempts if a.result is not None]
    uuids = {r.uuid for r in results}
    assert len(uuids) == 1 and None not in uuids, "every worker got the same UUID"
    assert all(r.ok for r in results)
    assert sum(1 for r in results if not r.replayed) == 1
    assert [k.uuid for k in children(ctx, parent)] == list(uuids)
    assert len(audit_rows(ctx, parent)) == 1
    assert_chain_ok(ctx)
    record(
        "idempotency",
        ctx,
        scenario="threads: one key",
        workers=WORKERS,
        attempts=WORKERS,
        children=1,
        distinct_uuids=len(uuids),
        lost=0,
    )


# --- separate processes through the `bo` command line -------------------------------------------

needs_cli = pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")


def _cli_race(url: str, argv_per_worker: list[list[str]]) -> list[tuple[int, dict[str, object], str]]:
    def one(argv: list[str]) -> tuple[int, dict[str, object], str]:
        proc = run_cli(url, *argv)
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            data = {"unparsed": proc.stdout}
        return proc.returncode, data, proc.stderr

    with ThreadPoolExecutor(max_workers=len(argv_per_worker)) as pool:
        return list(pool.map(one, argv_per_worker))


@needs_cli
def test_sixteen_bo_processes_refunding_and_charging_back_stay_within_the_debit(
    ctx: Context, db_url: str
) -> None:
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, "DB", 10_000)
    argvs = [
        ["run", op, parent, "--as", user, "--amount", amount, "--reason", "duplicate", "--json"]
        for op, amount in [("refund", "15.00"), ("chargeback", "50.00")] * (WORKERS // 2)
    ]
    outcomes = _cli_race(db_url, argvs)
    for code, data, stderr in outcomes:
        assert "Traceback" not in stderr
        assert code in (0, 1) and data.get("outcome") in ("success", "refused"), (code, stderr[:300])
    successes = sum(1 for code, _, _ in outcomes if code == 0)
    assert len(audit_rows(ctx, parent)) == WORKERS
    assert len(children(ctx, parent)) == successes
    _db_not_overrefunded(money_out(ctx, parent), 10_000)
    assert sum(1 for k in children(ctx, parent) if k.type == "CB") <= 1
    assert_chain_ok(ctx)
    record(
        "races",
        ctx,
        scenario="processes (bo run): refund+chargeback",
        workers=WORKERS,
        attempts=WORKERS,
        successes=successes,
        refusals=WORKERS - successes,
        errors=0,
        lost=0,
    )


@needs_cli
def test_one_idempotency_key_from_sixteen_bo_processes_books_one_child(ctx: Context, db_url: str) -> None:
    user = add_user(ctx, "manager")
    parent = add_tx(ctx, "PA", 10_000)
    argv = ["run", "capture", parent, "--as", user, "--amount", "5.00"]
    outcomes = _cli_race(db_url, [[*argv, "--idempotency-key", "cli-key-1", "--json"]] * WORKERS)
    assert all(code == 0 for code, _, _ in outcomes), [s[:200] for _, _, s in outcomes]
    uuids = {str(data.get("uuid")) for _, data, _ in outcomes}
    assert len(uuids) == 1
    assert [k.uuid for k in children(ctx, parent)] == list(uuids)
    assert len(audit_rows(ctx, parent)) == 1
    assert_chain_ok(ctx)
    record(
        "idempotency",
        ctx,
        scenario="processes (bo run): one key",
        workers=WORKERS,
        attempts=WORKERS,
        children=1,
        distinct_uuids=len(uuids),
        lost=0,
    )
