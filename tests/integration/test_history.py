"""Operation history on both backends, checked against operations run for real."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from datetime import date

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, PermissionDenied
from bo_core.domain.money import Money
from bo_core.domain.permissions import Permission, Role
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, OperationResult, run_operation
from bo_core.services.history import (
    CSV_HEADER,
    HistoryFilters,
    export_history_csv,
    history_stats,
    list_history,
    parse_history_filters,
    transaction_history,
)
from tests.factories import Clock, add_tx, add_user, reason_for


@dataclass
class Story:
    analyst: str
    manager: str
    debit: str
    preauth: str
    refund: OperationResult
    capture: OperationResult
    chargeback: OperationResult


@pytest.fixture
def story(ctx: Context, clock: Clock) -> Story:
    """Day 1 (Nov 1): a refund, a refused over-refund, a refused chargeback by an analyst.
    Day 2 (Nov 2): a chargeback by a manager, a USD capture, a refused capture."""
    analyst = add_user(ctx, "analyst", "alice")
    manager = add_user(ctx, "manager", "max")
    debit = add_tx(ctx, "DB", 10_000, "EUR", merchant="acme-shop")
    preauth = add_tx(ctx, "PA", 5_000, "USD", merchant="beta-store")

    def run(op: str, parent: str, user: str, amount: str | None) -> OperationResult:
        clock.advance(minutes=5)
        return run_operation(ctx, OperationRequest(op, parent, user, amount=amount, reason=reason_for(op)))

    refund = run("refund", debit, analyst, "10.00")
    assert refund.ok
    assert not run("refund", debit, analyst, "500.00").ok
    assert not run("chargeback", debit, analyst, "20.00").ok
    clock.advance(days=1)
    chargeback = run("chargeback", debit, manager, "50.00")
    capture = run("capture", preauth, analyst, "20.00")
    assert chargeback.ok and capture.ok
    assert not run("capture", preauth, analyst, "40.00").ok
    return Story(analyst, manager, debit, preauth, refund, capture, chargeback)


def test_list_is_newest_first_with_every_attempt(ctx: Context, story: Story) -> None:
    entries = list_history(ctx, HistoryFilters(), actor=story.manager)
    assert [e.operation for e in entries] == [
        "capture",
        "capture",
        "chargeback",
        "chargeback",
        "refund",
        "refund",
    ]
    assert [e.outcome for e in entries] == ["refused", "success", "success", "refused", "refused", "success"]
    assert [e.seq for e in entries] == sorted((e.seq for e in entries), reverse=True)
    first = entries[-1]
    assert (first.username, first.role, first.amount, first.currency) == (
        "alice",
        "analyst",
        Money(1000, "EUR"),
        "EUR",
    )
    assert (first.available_before, first.available_after) == (Money(10000, "EUR"), Money(9000, "EUR"))
    assert first.child_uuid == story.refund.uuid and first.parent_uuid == story.debit
    assert first.to_dict()["created_at"] == first.created_at.isoformat()


FILTER_CASES: list[tuple[dict[str, object], int]] = [
    ({"operation": "refund"}, 2),
    ({"outcome": "refused"}, 3),
    ({"outcome": "success", "operation": "chargeback"}, 1),
    ({"username": "max"}, 1),
    ({"username": "alice", "outcome": "refused"}, 3),
    ({"currency": "USD"}, 2),
    ({"merchant": "acme-shop"}, 4),
    ({"date_from": "2026-11-02"}, 3),
    ({"date_to": "2026-11-02"}, 3),
    ({"date_from": "2026-11-03"}, 0),
]


def test_filters_select_the_matching_attempts(ctx: Context, story: Story) -> None:
    everything = list_history(ctx, HistoryFilters(), actor=SYSTEM)
    for kwargs, expected in FILTER_CASES:
        filters = parse_history_filters(**kwargs)  # type: ignore[arg-type]
        got = list_history(ctx, filters, actor=SYSTEM)
        assert len(got) == expected, kwargs
        want = [
            e.seq
            for e in everything
            if all(
                getattr(e, k) == v
                for k, v in kwargs.items()
                if k in {"operation", "outcome", "username", "currency", "merchant"}
            )
            and (filters.date_from is None or e.created_at >= filters.date_from)
            and (filters.date_to is None or e.created_at < filters.date_to)
        ]
        assert [e.seq for e in got] == want, kwargs


def test_limit_and_offset_page_the_list(ctx: Context, story: Story) -> None:
    everything = list_history(ctx, HistoryFilters(), actor=SYSTEM)
    pages = [list_history(ctx, HistoryFilters(), actor=SYSTEM, limit=4, offset=o) for o in (0, 4)]
    assert pages[0] + pages[1] == everything and len(pages[1]) == 2
    with pytest.raises(InputError):
        list_history(ctx, HistoryFilters(), actor=SYSTEM, limit=0)
    with pytest.raises(InputError):
        list_history(ctx, HistoryFilters(), actor=SYSTEM, offset=-1)


def test_transaction_history_shows_attempts_on_it_and_its_creation(ctx: Context, story: Story) -> None:
    on_debit = transaction_history(ctx, story.debit, actor=story.analyst)
    assert [e.operation for e in on_debit] == ["chargeback", "chargeback", "refund", "refund"]
    assert {e.parent_uuid for e in on_debit} == {story.debit}
    (creation,) = transaction_history(ctx, story.refund.uuid or "", actor=story.analyst)
    assert creation.child_uuid == story.refund.uuid and creation.operation == "refund"
    assert transaction_history(ctx, add_tx(ctx), actor=SYSTEM) == []
    with pytest.raises(InputError):
        transaction_history(ctx, "not-a-uuid", actor=SYSTEM)


def test_stats_count_and_sum_in_the_database(ctx: Context, story: Story) -> None:
    stats = history_stats(ctx, HistoryFilters(), actor=story.manager)
    assert (stats.attempts, stats.successes, stats.refusals) == (6, 3, 3)
    assert stats.per_day_by_operation == [
        (date(2026, 11, 1), "chargeback", 1),
        (date(2026, 11, 1), "refund", 2),
        (date(2026, 11, 2), "capture", 2),
        (date(2026, 11, 2), "chargeback", 1),
    ]
    assert stats.amounts_by_currency == [("EUR", Money(1000, "EUR"), Money(5000, "EUR"))]
    assert stats.per_user_outcome == [("alice", "refused", 3), ("alice", "success", 2), ("max", "success", 1)]


def test_stats_follow_the_filters(ctx: Context, story: Story) -> None:
    day_two = history_stats(ctx, parse_history_filters(date_from="2026-11-02"), actor=SYSTEM)
    assert (day_two.attempts, day_two.successes, day_two.refusals) == (3, 2, 1)
    assert day_two.amounts_by_currency == [("EUR", Money(0, "EUR"), Money(5000, "EUR"))]
    nothing = history_stats(ctx, parse_history_filters(username="nobody"), actor=SYSTEM)
    assert (nothing.attempts, nothing.successes, nothing.refusals) == (0, 0, 0)
    assert nothing.per_day_by_operation == nothing.amounts_by_currency == nothing.per_user_outcome == []


def test_export_writes_every_matching_attempt(ctx: Context, story: Story) -> None:
    out = io.StringIO()
    assert export_history_csv(ctx, HistoryFilters(), out, actor=story.manager) == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0].keys()) == CSV_HEADER
    listed = list_history(ctx, HistoryFilters(), actor=SYSTEM)
    assert [int(r["seq"]) for r in rows] == [e.seq for e in listed]
    refused = io.StringIO()
    assert export_history_csv(ctx, parse_history_filters(outcome="refused"), refused, actor=SYSTEM) == 3


def test_history_needs_its_permission_but_a_transactions_history_only_viewing(
    ctx: Context, story: Story
) -> None:
    viewer = add_user(ctx, "viewer")
    for actor in (viewer, story.analyst, "nobody-here"):
        with pytest.raises(PermissionDenied):
            list_history(ctx, HistoryFilters(), actor=actor)
        with pytest.raises(PermissionDenied):
            history_stats(ctx, HistoryFilters(), actor=actor)
        with pytest.raises(PermissionDenied):
            export_history_csv(ctx, HistoryFilters(), io.StringIO(), actor=actor)
    assert len(transaction_history(ctx, story.debit, actor=viewer)) == 4
    users.disable_user(ctx, viewer, actor=SYSTEM)
    users.disable_user(ctx, story.manager, actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        transaction_history(ctx, story.debit, actor=viewer)
    with pytest.raises(PermissionDenied):
        list_history(ctx, HistoryFilters(), actor=story.manager)


def test_the_totals_and_charts_need_analytics_view_besides_history_view(ctx: Context, story: Story) -> None:
    roles = dict(ctx.settings.roles)
    auditor = Role("auditor", frozenset({Permission.TRANSACTIONS_VIEW, Permission.HISTORY_VIEW}))
    ctx.settings = dataclasses.replace(ctx.settings, roles={**roles, "auditor": auditor})
    name = add_user(ctx, "auditor")
    assert len(list_history(ctx, HistoryFilters(), actor=name)) == len(
        list_history(ctx, HistoryFilters(), actor=story.manager)
    )
    with pytest.raises(PermissionDenied, match="analytics:view"):
        history_stats(ctx, HistoryFilters(), actor=name)
    assert history_stats(ctx, HistoryFilters(), actor=story.manager).attempts > 0
