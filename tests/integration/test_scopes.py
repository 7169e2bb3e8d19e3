"""Merchant-scoped users on both backends: outside the scope is exactly "not found"."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError, NotFound, PermissionDenied
from bo_core.domain.filters import HistoryFilters, SearchFilters
from bo_core.services import approvals, history, scopes, search
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation, suggest_transaction_id_for
from bo_core.services.show import show_transaction
from tests.factories import add_tx, add_user, row_counts

MERCHANTS = ("alpha", "beta", "gamma")
CHANNELS = ("web", "app")


def _seed(ctx: Context) -> dict[tuple[str, str], str]:
    return {(m, c): add_tx(ctx, "DB", 500_000, merchant=m, channel=c) for m in MERCHANTS for c in CHANNELS}


def _not_found_message(call: object) -> str:
    with pytest.raises(NotFound) as missing:
        call()  # type: ignore[operator]
    return missing.value.message


def test_a_new_user_has_no_assignment_and_sees_nothing(ctx: Context) -> None:
    _seed(ctx)
    fresh = add_user(ctx, "manager", scoped=True)
    assert scopes.user_scope(ctx, fresh, actor=SYSTEM).scope == []
    assert search.search_page(ctx, SearchFilters(), actor=fresh).rows == []
    assert search.count_matches(ctx, SearchFilters(), actor=fresh).value == 0
    assert search.filter_options(ctx, actor=fresh).merchants == []


def test_every_read_service_applies_the_scope(ctx: Context) -> None:
    txs = _seed(ctx)
    manager = add_user(ctx, "manager")
    for uuid in txs.values():  # one refund per transaction, for the history
        assert run_operation(
            ctx, OperationRequest("refund", uuid, manager, amount="1.00", reason="requested_by_customer")
        ).ok
    user = add_user(ctx, "manager", scoped=True)
    scopes.assign(ctx, user, "alpha", actor=SYSTEM)
    scopes.assign(ctx, user, "beta", "web", actor=SYSTEM)
    visible = {txs[("alpha", "web")], txs[("alpha", "app")], txs[("beta", "web")]}
    rows = search.search_page(ctx, SearchFilters(types=("DB",)), actor=user).rows
    assert {r.uuid for r in rows} == visible
    assert search.count_matches(ctx, SearchFilters(types=("DB",)), actor=user).value == 3
    out = io.StringIO()
    assert search.export_csv(ctx, SearchFilters(types=("DB",)), out, actor=user) == 3
    assert search.filter_options(ctx, actor=user).merchants == ["alpha", "beta"]
    merchants = {e.merchant for e in history.list_history(ctx, HistoryFilters(), actor=user)}
    assert merchants == {"alpha", "beta"}
    assert len(history.list_history(ctx, HistoryFilters(), actor=user)) == 3
    assert history.history_stats(ctx, HistoryFilters(), actor=user).attempts == 3
    assert history.export_history_csv(ctx, HistoryFilters(), io.StringIO(), actor=user) == 3
    assert history.filter_choices(ctx, actor=user)[1] == ["alpha", "beta"]
    hidden = txs[("beta", "app")]
    ghost = "f" * 32
    for call in (
        lambda u: show_transaction(ctx, u, actor=user),
        lambda u: history.transaction_history(ctx, u, actor=user),
        lambda u: suggest_transaction_id_for(ctx, u, "refund", actor=user),
    ):
        outside = _not_found_message(lambda c=call: c(hidden))  # type: ignore[misc]
        missing = _not_found_message(lambda c=call: c(ghost))  # type: ignore[misc]
        assert outside == missing.replace(ghost, hidden)
    assert show_transaction(ctx, txs[("beta", "web")], actor=user).transaction.merchant == "beta"


def test_operations_outside_the_scope_are_not_found_and_write_nothing(ctx: Context) -> None:
    txs = _seed(ctx)
    analyst = add_user(ctx, "analyst", scoped=True)
    scopes.assign(ctx, analyst, "alpha", actor=SYSTEM)
    before = row_counts(ctx)
    hidden = txs[("gamma", "web")]
    with pytest.raises(NotFound, match="No transaction with UUID"):
        run_operation(
            ctx, OperationRequest("refund", hidden, analyst, amount="1.00", reason="requested_by_customer")
        )
    assert row_counts(ctx) == before
    assert run_operation(
        ctx,
        OperationRequest(
            "refund", txs[("alpha", "web")], analyst, amount="1.00", reason="requested_by_customer"
        ),
    ).ok


def test_approvals_outside_the_scope_are_invisible_and_cannot_be_decided(ctx: Context) -> None:
    txs = _seed(ctx)
    rid = run_operation(
        ctx,
        OperationRequest(
            "refund",
            txs[("gamma", "web")],
            add_user(ctx, "analyst"),
            amount="2000.00",
            reason="requested_by_customer",
        ),
    ).request_id
    manager = add_user(ctx, "manager", scoped=True)
    scopes.assign(ctx, manager, "alpha", actor=SYSTEM)
    assert approvals.list_approvals(ctx, actor=manager) == []
    assert approvals.open_approval_count(ctx, actor=manager) == 0
    with pytest.raises(NotFound, match=f"No approval request {rid}"):
        approvals.approve(ctx, rid or 0, actor=manager)


def test_admins_grant_only_what_they_hold(ctx: Context) -> None:
    admin = add_user(ctx, "admin", scoped=True)
    scopes.assign(ctx, admin, "alpha", actor=SYSTEM)
    target = add_user(ctx, "analyst", scoped=True)
    assert scopes.assign(ctx, target, "alpha", "web", actor=admin).scope == [
        {"merchant": "alpha", "channel": "web"}
    ]
    for merchant in ("beta", "*"):
        with pytest.raises(PermissionDenied, match="only what you hold"):
            scopes.assign(ctx, target, merchant, actor=admin)
    with pytest.raises(PermissionDenied):
        scopes.assign(ctx, target, "alpha", actor=add_user(ctx, "manager"))
    assert scopes.unassign(ctx, target, "alpha", "web", actor=admin).scope == []
    assert scopes.unassign(ctx, target, "alpha", "web", actor=admin).scope == []  # idempotent
    with pytest.raises(NotFound):
        scopes.user_scope(ctx, "ghost", actor=admin)
    with pytest.raises(InputError):
        scopes.assign(ctx, target, "*", "web", actor=SYSTEM)


NODES = st.lists(
    st.tuples(st.sampled_from(MERCHANTS), st.one_of(st.none(), st.sampled_from(CHANNELS))), max_size=4
)
FILTERS = st.builds(
    SearchFilters,
    types=st.sampled_from([(), ("DB",), ("RF",), ("DB", "RF")]),
    merchant=st.one_of(st.none(), st.sampled_from(MERCHANTS)),
    currency=st.one_of(st.none(), st.just("EUR")),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=NODES, filters=FILTERS)
def test_no_search_ever_returns_a_row_outside_a_random_scope(
    ctx: Context, nodes: list[tuple[str, str | None]], filters: SearchFilters
) -> None:
    if not hasattr(ctx, "_seeded"):
        _seed(ctx)
        ctx._seeded = True  # type: ignore[attr-defined]
    user = add_user(ctx, "viewer", scoped=True)
    for merchant, channel in nodes:
        scopes.assign(ctx, user, merchant, channel, actor=SYSTEM)

    def allowed(merchant: str, channel: str) -> bool:
        return any(m == merchant and (c is None or c == channel) for m, c in nodes)

    rows = list(search.iter_matches(ctx, filters, actor=user))
    flat = [r for batch in rows for r in batch]
    assert all(allowed(r.merchant, r.channel) for r in flat)
    everything = [r for batch in search.iter_matches(ctx, filters, actor=SYSTEM) for r in batch]
    assert len(flat) == sum(1 for r in everything if allowed(r.merchant, r.channel))
    assert search.count_matches(ctx, filters, actor=user).value == len(flat)
