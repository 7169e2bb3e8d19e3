"""Bulk runs through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.bulk_file import MalformedBulkFile
from bo_core.domain.errors import NotFound, PermissionDenied
from bo_core.services import bulk, bulk_store
from bo_core.services.context import Context
from tests.factories import add_tx, add_user, row_counts


def csv_bytes(rows: list[list[str]], header: str = "parent_uuid,operation,amount,memo,reason") -> bytes:
    if header.endswith(",reason"):
        rows = [[*r, "duplicate"] for r in rows]  # refunds and chargebacks need a reason
    return (header + "\n" + "\n".join(",".join(r) for r in rows) + "\n").encode()


def refunds_of(ctx: Context, parent: str) -> list[int]:
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow.amount_minor).where(
            TransactionRow.parent_uuid == parent, TransactionRow.type == "RF"
        )
        return sorted(uow.session.execute(stmt).scalars())


def test_dry_run_decides_lines_on_the_same_parent_in_order_and_books_nothing(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000)
    before = row_counts(ctx)
    data = csv_bytes(
        [[capture, "refund", "60.00", "a"], [capture, "refund", "50.00", "b"], [capture, "refund", "40", ""]]
    )
    report = bulk.run_file(ctx, data, "refunds.csv", analyst, dry_run=True)
    assert [(r.line, r.outcome) for r in report.lines] == [
        (2, "would_succeed"),
        (3, "refused"),
        (4, "would_succeed"),
    ]
    assert report.lines[1].result_code == rc.REFUND_VOLUME_EXCEEDED
    assert report.totals == {"EUR": "100.00"}
    assert all(r.uuid is None for r in report.lines)
    assert row_counts(ctx) == before  # neither children nor audit records survive
    assert report.summary.status == "done" and report.summary.dry_run


def test_real_run_books_every_line_and_a_refusal_does_not_stop_the_others(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    one, two = add_tx(ctx, "CP", 5_000), add_tx(ctx, "DB", 3_000, currency="USD")
    missing = "f" * 32
    data = csv_bytes(
        [
            [one, "refund", "60", ""],
            [missing, "refund", "1", ""],
            [one, "refund", "20", "x"],
            [two, "refund", "30", ""],
        ]
    )
    report = bulk.run_file(ctx, data, "f.csv", analyst, dry_run=False)
    assert [r.outcome for r in report.lines] == ["refused", "refused", "success", "success"]
    assert report.lines[0].result_code == rc.REFUND_VOLUME_EXCEEDED
    assert report.lines[1].result_code == rc.REFERENCE_NOT_FOUND
    assert report.totals == {"EUR": "20.00", "USD": "30.00"}
    assert refunds_of(ctx, one) == [2_000] and refunds_of(ctx, two) == [3_000]
    assert report.lines[2].uuid is not None
    with ctx.db.uow() as uow:
        child = uow.session.execute(
            select(TransactionRow).where(TransactionRow.uuid == report.lines[2].uuid)
        ).scalar_one()
        assert child.memo == "x" and child.created_by == analyst
        assert child.reason_code == "duplicate"  # the reason column, stored with the child
        audited = uow.session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert audited == 3  # two bookings and the over-refund; an unknown parent is not an attempt


def test_running_the_same_file_again_books_nothing_twice(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000)
    data = csv_bytes([[capture, "refund", "10", ""], [capture, "refund", "15", ""]])
    first = bulk.run_file(ctx, data, "a.csv", analyst, dry_run=False)
    second = bulk.run_file(ctx, data, "a-again.csv", analyst, dry_run=False)
    dry = bulk.run_file(ctx, data, "a-dry.csv", analyst, dry_run=True)
    assert refunds_of(ctx, capture) == [1_000, 1_500]
    assert [r.uuid for r in second.lines] == [r.uuid for r in first.lines]
    assert all(r.replayed and r.outcome == "success" for r in second.lines)
    assert all(r.replayed for r in dry.lines)


def test_another_user_uploading_an_executed_file_is_refused_per_line(ctx: Context) -> None:
    a, b = add_user(ctx, "analyst"), add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000)
    data = csv_bytes([[capture, "refund", "10", ""]])
    bulk.run_file(ctx, data, "a.csv", a, dry_run=False)
    report = bulk.run_file(ctx, data, "a.csv", b, dry_run=False)
    assert report.lines[0].outcome == "refused"
    assert refunds_of(ctx, capture) == [1_000]


def test_permissions_apply_per_line(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000)
    report = bulk.run_file(
        ctx,
        csv_bytes([[capture, "chargeback", "10", ""], [capture, "refund", "1", ""]]),
        "f",
        analyst,
        dry_run=False,
    )
    assert [(r.outcome, r.result_code) for r in report.lines] == [
        ("refused", rc.PERMISSION_DENIED),
        ("success", rc.SUCCESS),
    ]


def test_parent_by_transaction_id_and_merchant(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000, transaction_id="ORD-77", merchant="m-one")
    data = (
        b"parent_transaction_id,merchant,operation,amount,reason\n"
        b"ORD-77,m-one,refund,5,duplicate\nORD-77,m-two,refund,5,duplicate\n"
    )
    report = bulk.run_file(ctx, data, "f", analyst, dry_run=False)
    assert [r.outcome for r in report.lines] == ["success", "refused"]
    assert refunds_of(ctx, capture) == [500]


def test_an_amount_with_too_many_decimals_for_the_currency_is_a_line_refusal(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    yen = add_tx(ctx, "CP", 10_000, currency="JPY")
    report = bulk.run_file(ctx, csv_bytes([[yen, "refund", "1.5", ""]]), "f", analyst, dry_run=False)
    assert report.lines[0].outcome == "refused"
    assert report.lines[0].result_code == rc.INVALID_AMOUNT


def test_a_malformed_file_stores_no_run(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    with pytest.raises(MalformedBulkFile):
        bulk.run_file(ctx, b"parent_uuid,operation\nx,refund\n", "f", analyst, dry_run=False)
    assert bulk_store.list_runs(ctx, actor=SYSTEM) == []


def test_unknown_users_and_roles_without_operations_cannot_start_a_run(ctx: Context) -> None:
    capture = add_tx(ctx, "CP", 10_000)
    data = csv_bytes([[capture, "refund", "1", ""]])
    with pytest.raises(NotFound):
        bulk.run_file(ctx, data, "f", "nobody", dry_run=False)
    with pytest.raises(PermissionDenied):
        bulk.run_file(ctx, data, "f", add_user(ctx, "viewer"), dry_run=True)
    assert bulk_store.list_runs(ctx, actor=SYSTEM) == []


def test_resume_continues_from_the_first_undecided_line_and_only_the_uploader_may_resume(
    ctx: Context,
) -> None:
    analyst, other = add_user(ctx, "analyst"), add_user(ctx, "analyst")
    parents = [add_tx(ctx, "CP", 10_000) for _ in range(3)]
    data = csv_bytes([[p, "refund", "10", ""] for p in parents])
    run_id = bulk.start_run(ctx, data, "f.csv", analyst, dry_run=False)
    assert bulk_store.read_report(ctx, run_id, actor=SYSTEM).summary.status == "running"
    with pytest.raises(PermissionDenied):
        bulk.execute(ctx, run_id, other)
    seen: list[tuple[int, int]] = []
    report = bulk.execute(ctx, run_id, analyst, lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3, 3)
    assert report.summary.status == "done" and report.summary.counts["success"] == 3
    again = bulk.execute(ctx, run_id, analyst)
    assert again.summary.counts["success"] == 3
    assert all(refunds_of(ctx, p) == [1_000] for p in parents)


def test_runs_are_listed_for_the_uploader_and_managers_only(ctx: Context) -> None:
    a, b, manager = add_user(ctx, "analyst"), add_user(ctx, "analyst"), add_user(ctx, "manager")
    capture = add_tx(ctx, "CP", 10_000)
    report = bulk.run_file(ctx, csv_bytes([[capture, "refund", "1", ""]]), "mine.csv", a, dry_run=True)
    assert [r.file_name for r in bulk_store.list_runs(ctx, actor=a)] == ["mine.csv"]
    assert bulk_store.list_runs(ctx, actor=b) == []
    assert [r.run_id for r in bulk_store.list_runs(ctx, actor=manager)] == [report.run_id]
    assert bulk_store.list_runs(ctx, actor=manager)[0].counts == {"would_succeed": 1}
    with pytest.raises(PermissionDenied):
        bulk_store.read_report(ctx, report.run_id, actor=b)
    assert bulk_store.read_report(ctx, report.run_id, actor=manager).run_id == report.run_id


def test_the_result_file_holds_the_input_columns_and_the_outcome(ctx: Context) -> None:
    analyst = add_user(ctx, "analyst")
    capture = add_tx(ctx, "CP", 10_000)
    report = bulk.run_file(ctx, csv_bytes([[capture, "refund", "10", "=cmd()"]]), "f", analyst, dry_run=False)
    rows = list(csv.DictReader(io.StringIO(report.result_csv())))
    assert rows[0]["parent_uuid"] == capture and rows[0]["amount"] == "10"
    assert rows[0]["outcome"] == "success" and rows[0]["uuid"] == report.lines[0].uuid
    assert rows[0]["memo"] == "'=cmd()"


def test_a_line_above_the_approval_threshold_becomes_an_approval_request_and_books_nothing(
    ctx: Context,
) -> None:
    from bo_core.services import approvals

    analyst = add_user(ctx, "analyst")
    big, small = add_tx(ctx, "DB", 500_000), add_tx(ctx, "DB", 500_000)  # 5,000.00 EUR each
    data = csv_bytes([[big, "refund", "1500.00", "above"], [small, "refund", "10.00", "below"]])

    dry = bulk.run_file(ctx, data, "approvals.csv", analyst, dry_run=True)
    assert [r.outcome for r in dry.lines] == ["would_await_approval", "would_succeed"]
    assert approvals.list_approvals(ctx, actor=SYSTEM) == []

    report = bulk.run_file(ctx, data, "approvals.csv", analyst, dry_run=False)
    assert [r.outcome for r in report.lines] == ["awaiting_approval", "success"]
    [request] = approvals.list_approvals(ctx, actor=SYSTEM)
    assert request.state == "open" and request.parent_uuid == big
    assert f"request {request.id}" in report.lines[0].message
    assert refunds_of(ctx, big) == [] and refunds_of(ctx, small) == [1_000]
    assert report.totals == {"EUR": "10.00"}  # a request is not booked money

    again = bulk.run_file(ctx, data, "approvals.csv", analyst, dry_run=False)  # the same file: nothing new
    assert len(approvals.list_approvals(ctx, actor=SYSTEM)) == 1 and refunds_of(ctx, small) == [1_000]
    assert again.lines[0].outcome == "awaiting_approval"
