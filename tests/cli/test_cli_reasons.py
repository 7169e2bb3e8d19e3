"""`bo run --reason/--note`, `bo history --reason` and the bulk file's reason column."""

from __future__ import annotations

from pathlib import Path

from bo_core.services.context import Context
from tests.cli.conftest import Bo
from tests.factories import add_tx, add_user
from tests.rows import children, row_counts


def test_bo_run_checks_a_given_reason_and_books_one_without_it_for_older_scripts(
    ctx: Context, bo: Bo
) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 2_000)
    before = row_counts(ctx)
    unexplained = bo("run", "refund", debit, "--as", analyst, "--amount", "1.00", "--reason", "other")
    assert unexplained.code == 2 and "needs a note" in unexplained.stderr
    unknown = bo("run", "refund", debit, "--as", analyst, "--amount", "1.00", "--reason", "whim")
    assert unknown.code == 2 and "unknown" in unknown.stderr
    noted = bo("run", "refund", debit, "--as", analyst, "--amount", "1.00", "--note", "why")
    assert noted.code == 2 and "needs a reason" in noted.stderr  # a note without its reason
    assert row_counts(ctx) == before
    args = ("--amount", "1.00", "--reason", "other", "--note", "parcel lost", "--json")
    done = bo("run", "refund", debit, "--as", analyst, *args)
    assert done.code == 0, done.stderr
    [child] = children(ctx, debit)
    assert (child.reason_code, child.reason_note) == ("other", "parcel lost")
    shown = bo("show", child.uuid, "--json").json
    assert (shown["reason_code"], shown["reason_note"]) == ("other", "parcel lost")
    # A script written before reasons existed still refunds; the record shows no reason.
    plain = bo("run", "refund", debit, "--as", analyst, "--amount", "2.00", "--json")
    assert plain.code == 0, plain.stderr
    assert bo("show", plain.json["uuid"], "--json").json["reason_code"] is None


def test_bo_history_filters_by_reason(ctx: Context, bo: Bo) -> None:
    manager = add_user(ctx, "manager")
    debit = add_tx(ctx, "DB", 2_000)
    for reason in ("duplicate", "fraudulent"):
        assert bo("run", "refund", debit, "--as", manager, "--amount", "1", "--reason", reason).code == 0
    rows = bo("history", "--reason", "fraudulent", "--json").json
    assert [(r["operation"], r["reason_code"]) for r in rows] == [("refund", "fraudulent")]
    assert "reason_code" in bo("history", "--csv").stdout.splitlines()[0]


def test_a_bulk_file_gives_each_refund_its_reason_column(ctx: Context, bo: Bo, tmp_path: Path) -> None:
    analyst = add_user(ctx, "analyst")
    debit = add_tx(ctx, "DB", 10_000)
    path = tmp_path / "refunds.csv"
    path.write_text(
        "parent_uuid,operation,amount,reason\n"
        f"{debit},refund,1,duplicate\n"
        f"{debit},refund,2,other: customer phoned\n"
        f"{debit},refund,3,damaged in transit\n"
        f"{debit},refund,4,\n",
        encoding="utf-8",
    )
    lines = bo("bulk", "run", str(path), "--as", analyst, "--json").json["lines"]
    # An empty cell books without a reason, like a file written before reasons existed.
    assert [line["outcome"] for line in lines] == ["success", "success", "success", "success"]
    got = sorted((c.amount_minor, c.reason_code, c.reason_note) for c in children(ctx, debit))
    assert got == [
        (100, "duplicate", None),
        (200, "other", "customer phoned"),
        (300, "other", "damaged in transit"),
        (400, None, None),
    ]
