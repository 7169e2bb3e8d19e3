"""The audit trail is append-only and tamper-evident.

The triggers refuse UPDATE and DELETE. An attacker with owner rights can drop
them; then every modification, deletion or reordering of a record is caught by
``verify_chain`` (and by ``bo audit verify``), which names the first bad record.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.exc import DBAPIError

from bo_core.db.timestamps import to_storage_text
from bo_core.services.audit import _HASHED, verify_chain
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user
from tests.reliability._support import backend, cli_available, execute_sql, record, run_cli
from tests.rows import audit_rows

RECORDS = 6
CONTENT = list(_HASHED)  # every hashed column


def _trail(ctx: Context) -> list[int]:
    """Six audit records: five refunds and one refusal; returns their seqs."""
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 10_000)
    for amount in ("10.00", "11.00", "12.00", "500.00", "13.00", "14.00"):
        run_operation(
            ctx, OperationRequest("refund", parent, user, amount=amount, reason="requested_by_customer")
        )
    seqs = [r.seq for r in audit_rows(ctx)]
    assert len(seqs) == RECORDS
    return seqs


def drop_guards(ctx: Context) -> None:
    if backend(ctx) == "postgresql":
        execute_sql(ctx, "DROP TRIGGER audit_log_append_only ON audit_log")
    else:
        execute_sql(ctx, "DROP TRIGGER audit_log_no_update")
        execute_sql(ctx, "DROP TRIGGER audit_log_no_delete")


def _modify_amount(ctx: Context, seqs: list[int]) -> int:
    execute_sql(ctx, "UPDATE audit_log SET amount_minor = amount_minor + 1 WHERE seq = :s", s=seqs[2])
    return seqs[2]


def _modify_message(ctx: Context, seqs: list[int]) -> int:
    execute_sql(ctx, "UPDATE audit_log SET message = 'Refund booked' WHERE seq = :s", s=seqs[3])
    return seqs[3]


def _delete_middle(ctx: Context, seqs: list[int]) -> int:
    execute_sql(ctx, "DELETE FROM audit_log WHERE seq = :s", s=seqs[2])
    return seqs[3]


def _swap_two(ctx: Context, seqs: list[int]) -> int:
    """Reorder: records 2 and 3 exchange everything but their position."""
    a, b = seqs[1], seqs[2]
    cols = [*CONTENT, "prev_hash", "hash"]
    rows = {r.seq: r for r in audit_rows(ctx) if r.seq in (a, b)}
    for target, source in ((a, rows[b]), (b, rows[a])):
        sets = ", ".join(f"{c} = :{c}" for c in cols)
        params = {c: getattr(source, c) for c in cols}
        naive = source.created_at.replace(tzinfo=None)  # stored as naive UTC, in SQLite's one spelling
        params["created_at"] = to_storage_text(naive) if backend(ctx) == "sqlite" else naive
        execute_sql(ctx, f"UPDATE audit_log SET {sets} WHERE seq = :seq", seq=target, **params)
    return a


def _rehash_one(ctx: Context, seqs: list[int]) -> int:
    """The attacker (even one holding the MAC key) recomputes the changed record's own hash;
    the next record betrays it."""
    from bo_core.security.audit_key import audit_key
    from bo_core.services.audit import record_digest

    target = seqs[2]
    execute_sql(ctx, "UPDATE audit_log SET usage = 'forged' WHERE seq = :s", s=target)
    row = next(r for r in audit_rows(ctx) if r.seq == target)
    execute_sql(
        ctx,
        "UPDATE audit_log SET hash = :h WHERE seq = :s",
        h=record_digest(row.prev_hash, row, audit_key(ctx.db.engine.url)),
        s=target,
    )
    return seqs[3]


def _delete_first(ctx: Context, seqs: list[int]) -> int:
    execute_sql(ctx, "DELETE FROM audit_log WHERE seq = :s", s=seqs[0])
    return seqs[1]


TAMPERING: dict[str, Callable[[Context, list[int]], int]] = {
    "modify amount": _modify_amount,
    "modify message": _modify_message,
    "delete a middle record": _delete_middle,
    "delete the first record": _delete_first,
    "swap two records": _swap_two,
    "modify and re-hash one record": _rehash_one,
}


@pytest.mark.parametrize("attack", list(TAMPERING), ids=lambda a: a.replace(" ", "-"))
def test_verify_chain_names_the_first_tampered_record(ctx: Context, attack: str) -> None:
    seqs = _trail(ctx)
    with ctx.db.uow() as uow:
        assert verify_chain(uow.session).ok
    drop_guards(ctx)
    expected = TAMPERING[attack](ctx, seqs)
    with ctx.db.uow() as uow:
        report = verify_chain(uow.session)
    assert not report.ok
    assert report.first_bad_seq == expected, report
    assert report.problem
    record("tamper", ctx, attack=attack, detected=1, first_bad_seq_correct=1)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET amount_minor = 1", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_append_only_trigger_refuses_update_and_delete(ctx: Context, statement: str) -> None:
    seqs = _trail(ctx)
    with pytest.raises(DBAPIError, match="append-only"):
        execute_sql(ctx, statement)
    assert [r.seq for r in audit_rows(ctx)] == seqs
    with ctx.db.uow() as uow:
        assert verify_chain(uow.session).ok
    record("tamper", ctx, attack=f"{statement.split()[0]} with the guard in place", refused=1)


@pytest.mark.postgres
def test_postgres_trigger_refuses_truncate(postgres_url: str, clock: object) -> None:
    from tests.conftest import make_context

    ctx = make_context(postgres_url)
    try:
        seqs = _trail(ctx)
        with pytest.raises(DBAPIError, match="append-only"):
            execute_sql(ctx, "TRUNCATE audit_log")
        assert [r.seq for r in audit_rows(ctx)] == seqs
    finally:
        ctx.db.dispose()
    record("tamper", "postgresql", attack="TRUNCATE with the guard in place", refused=1)


@pytest.mark.skipif(not cli_available(), reason="the bo console script is not installed")
def test_bo_audit_verify_exits_non_zero_and_names_the_first_bad_record(ctx: Context, db_url: str) -> None:
    seqs = _trail(ctx)
    intact = run_cli(db_url, "audit", "verify", "--json")
    assert intact.returncode == 0, intact.stderr
    assert json.loads(intact.stdout)["ok"] is True
    drop_guards(ctx)
    bad = _modify_amount(ctx, seqs)
    broken = run_cli(db_url, "audit", "verify", "--json")
    assert broken.returncode != 0
    data = json.loads(broken.stdout)
    assert data["ok"] is False and data["first_bad_seq"] == bad
    text_out = run_cli(db_url, "audit", "verify")
    assert text_out.returncode != 0 and str(bad) in text_out.stdout + text_out.stderr
    assert "Traceback" not in broken.stderr + text_out.stderr
    record("tamper", ctx, attack="bo audit verify on a modified record", detected=1)
