"""Paging, export and date bounds are exact when rows from every writer share a second.

The rows come from each way bo writes a transaction: the demo bulk loader
(``executemany`` on SQLite, ``COPY`` on PostgreSQL), the ORM (``session.add``)
and the executor's Core insert (a refund), several of them stored at the very
same whole second, which is where differently spelled timestamps used to
compare wrongly on SQLite. Every page boundary, every export batch boundary and
a date bound fall inside such a group of ties.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bo_core.db.models import TransactionRow
from bo_core.demo import generate_demo
from bo_core.services import history, search
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import Clock, add_tx, add_user

DEMO_ROWS = 60


@dataclass(frozen=True)
class Mixed:
    analyst: str
    manager: str
    tie: datetime  # a whole second shared by rows of every writer
    refund_uuid: str


def _newest_first(ctx: Context) -> list[tuple[datetime, int, str]]:
    with ctx.db.uow() as uow:
        columns = (TransactionRow.created_at, TransactionRow.id, TransactionRow.uuid)
        rows = uow.session.execute(select(*columns)).all()
    return sorted(((r[0], r[1], r[2]) for r in rows), reverse=True)


@pytest.fixture
def mixed(ctx: Context, clock: Clock) -> Iterator[Mixed]:
    """Demo rows, then ORM rows and a refund stored at the seconds of some demo rows."""
    analyst = add_user(ctx, "analyst")
    manager = add_user(ctx, "manager")
    generate_demo(ctx, DEMO_ROWS, seed=11, now=clock.current)
    demo = _newest_first(ctx)
    assert all(moment.microsecond == 0 for moment, _, _ in demo)  # the loader writes whole seconds
    tie = demo[len(demo) // 2][0]
    for moment, _, _ in demo[::5]:  # ties next to many demo rows, spread over the pages
        add_tx(ctx, created_at=moment)
    parent = add_tx(ctx, type="DB", created_at=tie - timedelta(days=1))
    add_tx(ctx, created_at=tie)
    add_tx(ctx, created_at=tie + timedelta(microseconds=1))  # just after: outside the tie
    clock.current = tie
    result = run_operation(
        ctx, OperationRequest("refund", parent, analyst, amount="1.00", reason="requested_by_customer")
    )
    assert result.outcome == "success" and result.uuid is not None
    yield Mixed(analyst, manager, tie, result.uuid)


@pytest.mark.parametrize("page_size", [1, 2, 7])
def test_next_pages_list_every_row_once_in_order_across_writers(
    ctx: Context, mixed: Mixed, page_size: int
) -> None:
    want = [uuid for _, _, uuid in _newest_first(ctx)]
    got: list[str] = []
    after: str | None = None
    for page_no in range(1, len(want) + 2):
        page = search.search_page(
            ctx, search.parse_filters(), actor=mixed.analyst, page=page_no, page_size=page_size, after=after
        )
        got += [r.uuid for r in page.rows]
        if not page.has_next:
            break
        after = page.next_cursor
    assert len(got) == len(set(got)), "a row was listed twice"
    assert got == want


def test_pages_by_number_match_pages_by_cursor(ctx: Context, mixed: Mixed) -> None:
    want = [uuid for _, _, uuid in _newest_first(ctx)]
    got: list[str] = []
    for page_no in range(1, len(want) // 3 + 2):
        page = search.search_page(ctx, search.parse_filters(), actor=mixed.analyst, page=page_no, page_size=3)
        got += [r.uuid for r in page.rows]
    assert got == want


class _Bounded(io.StringIO):
    """Refuses to grow past ``lines`` lines (an export that repeats rows would never end)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, s: str) -> int:
        if self.getvalue().count("\n") + s.count("\n") > self.lines:
            raise AssertionError(f"the export wrote more than {self.lines} lines")
        return super().write(s)


@pytest.mark.parametrize("batch", [1, 3, 4])
def test_export_writes_every_row_once_across_keyset_batches(ctx: Context, mixed: Mixed, batch: int) -> None:
    want = [uuid for _, _, uuid in _newest_first(ctx)]
    out = _Bounded(lines=2 * len(want))
    written = search.export_csv(ctx, search.parse_filters(), out, actor=mixed.analyst, batch=batch)
    exported = [row["uuid"] for row in csv.DictReader(io.StringIO(out.getvalue()))]
    assert written == len(exported) == len(want)
    assert exported == want


def test_date_from_keeps_the_rows_stored_at_exactly_that_second(ctx: Context, mixed: Mixed) -> None:
    rows = _newest_first(ctx)
    since = [uuid for moment, _, uuid in rows if moment >= mixed.tie]
    at_tie = [uuid for moment, _, uuid in rows if moment == mixed.tie]
    assert len(at_tie) >= 4 and mixed.refund_uuid in at_tie  # demo, ORM rows and the refund
    f = search.parse_filters(date_from=mixed.tie)
    assert search.count_matches(ctx, f, actor=mixed.analyst).value == len(since)
    page = search.search_page(ctx, f, actor=mixed.analyst, page_size=500)
    assert [r.uuid for r in page.rows] == since
    # The same second as a plain text bound, as a user types it.
    typed = search.parse_filters(date_from=mixed.tie.strftime("%Y-%m-%d %H:%M:%S"))
    assert search.count_matches(ctx, typed, actor=mixed.analyst).value == len(since)


def test_date_to_excludes_that_second_and_one_second_window_holds_exactly_the_ties(
    ctx: Context, mixed: Mixed
) -> None:
    rows = _newest_first(ctx)
    before = [uuid for moment, _, uuid in rows if moment < mixed.tie]
    window = [uuid for moment, _, uuid in rows if mixed.tie <= moment < mixed.tie + timedelta(seconds=1)]
    f = search.parse_filters(date_to=mixed.tie)
    assert search.count_matches(ctx, f, actor=mixed.analyst).value == len(before)
    g = search.parse_filters(date_from=mixed.tie, date_to=mixed.tie + timedelta(seconds=1))
    assert [r.uuid for r in search.search_page(ctx, g, actor=mixed.analyst, page_size=500).rows] == window


def test_history_date_bound_keeps_the_operation_recorded_at_that_second(ctx: Context, mixed: Mixed) -> None:
    f = history.parse_history_filters(date_from=mixed.tie, date_to=mixed.tie + timedelta(seconds=1))
    entries = history.list_history(ctx, f, actor=mixed.manager)
    assert [e.child_uuid for e in entries] == [mixed.refund_uuid]
    assert entries[0].created_at == mixed.tie.astimezone(UTC)
    assert isinstance(entries[0].created_at, datetime)
