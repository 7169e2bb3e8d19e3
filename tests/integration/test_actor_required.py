"""Deny by default: every public service refuses a missing, unknown, disabled or unauthorized actor.

The list of services is read from ``bo_core.services`` itself: a new public
service that takes a context must either appear in ``CALLS`` (and so be proved
to refuse) or be one of the few sign-in helpers that run before anyone is
signed in. ``SYSTEM`` (command line, start-up) is the one actor without a user.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select

import bo_core.services
from bo_core.db.models import BulkRun, LoginThrottle, UserRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import BoError, InputError, NotFound, PermissionDenied
from bo_core.domain.filters import HistoryFilters, SearchFilters
from bo_core.domain.permissions import Role
from bo_core.services import (
    anchor,
    approvals,
    audit,
    bulk_store,
    execute,
    export_files,
    history,
    risk,
    scopes,
    search,
    security_log,
    show,
    trail_check,
    users,
)
from bo_core.services.context import Context
from tests.factories import PASSWORD, add_tx, add_user, row_counts

Call = Callable[[Context, Any, str], object]

CALLS: dict[str, tuple[Call, str]] = {
    # service: (call with (ctx, actor, transaction uuid), the permission it needs)
    "users.remove_demo_users": (lambda c, a, u: users.remove_demo_users(c, actor=a), "users:manage"),
    "search.search_page": (
        lambda c, a, u: search.search_page(c, SearchFilters(), actor=a),
        "transactions:view",
    ),
    "search.count_matches": (
        lambda c, a, u: search.count_matches(c, SearchFilters(), actor=a),
        "transactions:view",
    ),
    "search.iter_matches": (
        lambda c, a, u: list(search.iter_matches(c, SearchFilters(), actor=a)),
        "transactions:view",
    ),
    "search.export_csv": (
        lambda c, a, u: search.export_csv(c, SearchFilters(), io.StringIO(), actor=a),
        "transactions:view",
    ),
    "search.filter_options": (lambda c, a, u: search.filter_options(c, actor=a), "transactions:view"),
    "show.show_transaction": (lambda c, a, u: show.show_transaction(c, u, actor=a), "transactions:view"),
    "history.transaction_history": (
        lambda c, a, u: history.transaction_history(c, u, actor=a),
        "transactions:view",
    ),
    "history.list_history": (
        lambda c, a, u: history.list_history(c, HistoryFilters(), actor=a),
        "history:view",
    ),
    "history.history_stats": (
        lambda c, a, u: history.history_stats(c, HistoryFilters(), actor=a),
        "history:view",
    ),
    "history.export_history_csv": (
        lambda c, a, u: history.export_history_csv(c, HistoryFilters(), io.StringIO(), actor=a),
        "history:view",
    ),
    "history.filter_choices": (lambda c, a, u: history.filter_choices(c, actor=a), "history:view"),
    "history.count_history": (
        lambda c, a, u: history.count_history(c, HistoryFilters(), actor=a, cap=10),
        "history:view",
    ),
    "export_files.transactions_export_size": (
        lambda c, a, u: export_files.transactions_export_size(c, SearchFilters(), actor=a),
        "transactions:view",
    ),
    "export_files.history_export_size": (
        lambda c, a, u: export_files.history_export_size(c, HistoryFilters(), actor=a),
        "history:view",
    ),
    "export_files.export_transactions": (
        lambda c, a, u: _removed(
            c, export_files.export_transactions(c, SearchFilters(), actor=a, owner_session="s")
        ),
        "transactions:view",
    ),
    "export_files.export_history": (
        lambda c, a, u: _removed(
            c, export_files.export_history(c, HistoryFilters(), actor=a, owner_session="s")
        ),
        "history:view",
    ),
    "audit.verify_audit_chain": (lambda c, a, u: audit.verify_audit_chain(c, actor=a), "history:view"),
    "execute.suggest_transaction_id_for": (
        lambda c, a, u: execute.suggest_transaction_id_for(c, u, "refund", actor=a),
        "transactions:view",
    ),
    "users.create_user": (
        lambda c, a, u: users.create_user(c, f"new-{uuid4().hex[:8]}", "viewer", PASSWORD, actor=a),
        "users:manage",
    ),
    "approvals.list_approvals": (lambda c, a, u: approvals.list_approvals(c, actor=a), "transactions:view"),
    "approvals.open_approval_count": (
        lambda c, a, u: approvals.open_approval_count(c, actor=a),
        "transactions:view",
    ),
    "scopes.assign": (lambda c, a, u: scopes.assign(c, "target", "acme-shop", actor=a), "users:manage"),
    "scopes.unassign": (lambda c, a, u: scopes.unassign(c, "target", "*", actor=a), "users:manage"),
    "scopes.user_scope": (lambda c, a, u: scopes.user_scope(c, "target", actor=a), "users:manage"),
    "anchor.audit_anchor": (lambda c, a, u: anchor.audit_anchor(c, actor=a), "history:view"),
    "anchor.verify_against_anchor": (
        lambda c, a, u: anchor.verify_against_anchor(c, anchor.Anchor(0, "0" * 64, "now"), actor=a),
        "history:view",
    ),
    "trail_check.verify_trails": (lambda c, a, u: trail_check.verify_trails(c, actor=a), "history:view"),
    "security_log.list_events": (
        lambda c, a, u: security_log.list_events(c, security_log.EventFilters(), actor=a),
        "security:events",
    ),
    "users.list_users": (lambda c, a, u: users.list_users(c, actor=a), "users:manage"),
    "users.get_user": (lambda c, a, u: users.get_user(c, "target", actor=a), "users:manage"),
    "users.set_role": (lambda c, a, u: users.set_role(c, "target", "admin", actor=a), "users:manage"),
    "users.disable_user": (lambda c, a, u: users.disable_user(c, "target", actor=a), "users:manage"),
    "users.enable_user": (lambda c, a, u: users.enable_user(c, "target", actor=a), "users:manage"),
    "users.set_password": (
        lambda c, a, u: users.set_password(c, "target", "another long passphrase", actor=a),
        "users:manage",
    ),
    "bulk_store.read_report": (
        lambda c, a, u: bulk_store.read_report(c, _bulk_run(c), actor=a),
        "transactions:view",
    ),
    "bulk_store.list_runs": (lambda c, a, u: bulk_store.list_runs(c, actor=a), "transactions:view"),
    "risk.watch": (lambda c, a, u: risk.watch(c, date(2026, 10, 1), actor=a), "analytics:view"),
    "risk.chargeback_ratios": (
        lambda c, a, u: risk.chargeback_ratios(c, date(2026, 10, 1), actor=a),
        "analytics:view",
    ),
}


def _removed(ctx: Context, made: export_files.ExportFile) -> None:
    export_files.remove_export(ctx, made.token)


def _bulk_run(ctx: Context) -> str:
    """A stored bulk run of the user "target" (written once, outside the tables the test watches)."""
    with ctx.db.uow(write=True) as uow:
        run = uow.session.get(BulkRun, "f" * 32)
        if run is None:
            uow.session.add(
                BulkRun(
                    id="f" * 32,
                    created_at=ctx.now(),
                    username="target",
                    file_name="f.csv",
                    file_sha256="0" * 64,
                    dry_run=True,
                    status="done",
                    total_lines=0,
                )
            )
            uow.commit()
    return "f" * 32


BEFORE_SIGN_IN = {
    "users.authenticate",
    "users.is_locked",
    "users.authenticator_credentials",
    "users.demo_users_exist",
    "users.check_password",  # validates a password against the settings, reads nothing
}
"""Sign-in helpers: they run before there is anyone to act for."""

ACTOR_CHECKS = {
    "access.require",
    "access.role_of",
    "access.require_scoped",
    "access.scope_of",
    "export.personal_data_allowed",  # role_of, then one permission: tests/integration/test_history_exports.py
}
"""The check itself."""

EXPORT_FILES = {"export_files.claim_download", "export_files.remove_export", "export_files.sweep_expired"}
"""An export file already made for a user: the owning browser session's id is the credential
(the web layer passes the id of the live session of the request); see test_history_exports.py."""

OWN_ACTOR = {"execute.run_operation", "bulk.start_run", "bulk.execute", "bulk.run_file"}
"""The request names its user (``OperationRequest.username``; a bulk run's lines run as its
uploader, checked per line by run_operation); see the run_operation test below and
tests/integration/test_bulk.py."""

PERSONAL = {
    "views.save_view",
    "views.list_views",
    "views.open_view",
    "views.rename_view",
    "views.share_view",
    "views.update_view",
    "views.set_default",
    "views.default_view",
    "views.delete_view",
}
"""A user's own saved views: the actor is required, and SYSTEM (which has none) is refused too;
see tests/integration/test_views.py."""

GATEWAY = {
    "gateway_send.complete",  # the second half of run_operation: the request's own user
    "gateway_send.current",  # the same, for a replay: reads the attempt's child
    "gateway_ingest.ingest",  # what the gateway reports (receiver, importer): no user acts
    "gateway_reconcile.reconcile",  # SYSTEM only (cron): tests/integration/test_gateway_actor.py
    "gateway_reconcile.check_status",  # the operation's own permission: test_gateway_actor.py
    "gateway_import.import_window",  # SYSTEM only: test_gateway_actor.py
    "csv_import.import_csv",  # SYSTEM only: test_gateway_actor.py
}
"""Gateway mode (issue 9)."""

DECISIONS = {"approvals.approve", "approvals.reject", "approvals.cancel"}
"""Need a request to decide and a person (never ``SYSTEM``): proved in test_approvals.py and below."""


def public_services() -> dict[str, Callable[..., object]]:
    found: dict[str, Callable[..., object]] = {}
    for info in pkgutil.iter_modules(bo_core.services.__path__):
        module = importlib.import_module(f"bo_core.services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "ctx":
                found[f"{info.name}.{name}"] = fn
    return found


def test_every_public_service_is_listed_here_or_is_a_sign_in_helper() -> None:
    services = public_services()
    assert set(services) == (
        set(CALLS) | BEFORE_SIGN_IN | ACTOR_CHECKS | OWN_ACTOR | PERSONAL | GATEWAY | DECISIONS | EXPORT_FILES
    )


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_actor_is_a_required_argument(name: str) -> None:
    actor = inspect.signature(public_services()[name]).parameters["actor"]
    assert actor.default is inspect.Parameter.empty
    assert actor.kind is inspect.Parameter.KEYWORD_ONLY


def _with_role_without_permissions(ctx: Context) -> None:
    roles = {**ctx.settings.roles, "outsider": Role(name="outsider", permissions=frozenset())}
    ctx.settings = dataclasses.replace(ctx.settings, roles=roles)


def _snapshot(ctx: Context) -> tuple[object, ...]:
    with ctx.db.uow() as uow:
        s = uow.session
        people = [(u.username, u.role, u.active, u.password_hash) for u in s.scalars(select(UserRow))]
        throttles = s.execute(select(func.count()).select_from(LoginThrottle)).scalar_one()
    return (*row_counts(ctx), sorted(people), throttles)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_public_service_refuses_a_missing_or_unauthorized_actor(ctx: Context, name: str) -> None:
    call, permission = CALLS[name]
    _with_role_without_permissions(ctx)
    uuid = add_tx(ctx)
    add_user(ctx, "viewer", "target")
    lacking = add_user(ctx, "viewer" if permission != "transactions:view" else "outsider")
    disabled = add_user(ctx, "admin")
    users.disable_user(ctx, disabled, actor=SYSTEM)
    before = _snapshot(ctx)
    for actor in (None, "", "   ", "ghost", disabled, lacking, 42):
        with pytest.raises(PermissionDenied):
            call(ctx, actor, uuid)
        assert _snapshot(ctx) == before, f"{name} wrote something for actor {actor!r}"
    allowed = add_user(ctx, "admin")
    call(ctx, allowed, uuid)  # the same call goes through for a user whose role grants it
    call(ctx, SYSTEM, uuid)


def test_the_denial_for_a_disabled_user_says_so(ctx: Context) -> None:
    name = add_user(ctx, "admin")
    users.disable_user(ctx, name, actor=SYSTEM)
    with pytest.raises(PermissionDenied) as refused:
        search.search_page(ctx, SearchFilters(), actor=name)
    assert refused.value.result_code == rc.USER_DISABLED


def test_run_operation_refuses_a_missing_unknown_disabled_or_unauthorized_user(ctx: Context) -> None:
    parent = add_tx(ctx)
    viewer = add_user(ctx, "viewer")
    disabled = add_user(ctx, "admin")
    users.disable_user(ctx, disabled, actor=SYSTEM)

    def run(username: Any) -> execute.OperationResult:
        request = execute.OperationRequest(
            "refund", parent, username, amount="1.00", reason="requested_by_customer"
        )
        return execute.run_operation(ctx, request)

    for missing in (None, "", "  "):
        with pytest.raises(InputError):
            run(missing)
    with pytest.raises(NotFound):
        run("ghost")
    assert row_counts(ctx) == (1, 0)
    refused = run(viewer)
    assert (refused.outcome, refused.result_code) == ("refused", rc.PERMISSION_DENIED)
    refused = run(disabled)
    assert (refused.outcome, refused.result_code) == ("refused", rc.USER_DISABLED)
    assert row_counts(ctx) == (1, 2)  # two audited refusals, no child


def test_a_refused_actor_is_an_error_of_the_core(ctx: Context) -> None:
    with pytest.raises(BoError):
        show.show_transaction(ctx, add_tx(ctx), actor=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_approval_decisions_refuse_a_missing_unknown_disabled_user_or_the_system(
    ctx: Context, name: str
) -> None:
    parent = add_tx(ctx, "DB", 500_000)
    analyst = add_user(ctx, "analyst")
    request = execute.OperationRequest(
        "refund", parent, analyst, amount="2000.00", reason="requested_by_customer"
    )
    rid = execute.run_operation(ctx, request).request_id
    disabled = add_user(ctx, "admin")
    users.disable_user(ctx, disabled, actor=SYSTEM)
    decide = {
        "approvals.approve": lambda a: approvals.approve(ctx, rid or 0, actor=a),
        "approvals.reject": lambda a: approvals.reject(ctx, rid or 0, actor=a, reason="no"),
        "approvals.cancel": lambda a: approvals.cancel(ctx, rid or 0, actor=a),
    }[name]
    before = _snapshot(ctx)
    for actor in (None, "", "ghost", disabled, 42, SYSTEM):
        with pytest.raises(PermissionDenied):
            decide(actor)
        assert _snapshot(ctx) == before
