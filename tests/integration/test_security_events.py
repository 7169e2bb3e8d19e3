"""Every security event is recorded at its source, chained, filtered, and never holds a secret."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bo_core.config import Settings
from bo_core.db.security_models import SecurityEvent
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError, InputError, PermissionDenied
from bo_core.security import credentials, events, sessions, signin
from bo_core.security.roles_record import note_roles_loaded
from bo_core.services import approvals, scopes, users
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.security_log import EventFilters, list_events, parse_event_filters
from bo_core.services.trail_check import verify_trails
from tests.factories import PASSWORD, Clock, add_tx, add_user

ISSUE_KINDS = {
    "sign_in",
    "sign_in_failed",
    "lockout",
    "sign_out",
    "session_expired",
    "user_created",
    "role_changed",
    "user_disabled",
    "user_enabled",
    "scope_assigned",
    "scope_unassigned",
    "password_changed",
    "roles_loaded",
    "export",
    "approval_requested",
    "approval_approved",
    "approval_rejected",
    "approval_cancelled",
    "approval_expired",
}
CARD = "4111 1111 1111 1111"


def _all(ctx: Context, **filters: object) -> list[dict[str, object]]:
    found = list_events(ctx, parse_event_filters(limit=5000, **filters), actor=SYSTEM)  # type: ignore[arg-type]
    return [e.to_dict() for e in found]


def _refund(ctx: Context, parent: str, user: str, amount: str) -> int:
    result = run_operation(
        ctx, OperationRequest("refund", parent, user, amount=amount, reason="requested_by_customer")
    )
    assert result.request_id is not None, result
    return result.request_id


def _every_kind_happens(ctx: Context, clock: Clock) -> None:
    """One pass through every source of a security event the issue lists."""
    note_roles_loaded(ctx)
    ann = add_user(ctx, "analyst", "ann")
    users.set_role(ctx, ann, "manager", actor=SYSTEM)
    users.set_role(ctx, ann, "analyst", actor=SYSTEM)
    users.disable_user(ctx, ann, actor=SYSTEM)
    users.enable_user(ctx, ann, actor=SYSTEM)
    scopes.assign(ctx, ann, "alpha", actor=SYSTEM)
    scopes.unassign(ctx, ann, "alpha", actor=SYSTEM)
    users.set_password(ctx, ann, "another horse battery staple", actor=SYSTEM)
    credentials.change_own_password(ctx, ann, "another horse battery staple", PASSWORD)
    token = sessions.issue(ctx, ann, method="password", address="192.0.2.7")
    sessions.end(ctx, token, "sign_out")
    idle = sessions.issue(ctx, ann, method="password")
    clock.advance(minutes=ctx.settings.session_idle_minutes + 1)
    assert isinstance(sessions.validate(ctx, idle), sessions.Refusal)
    for _ in range(ctx.settings.lockout_attempts):
        with pytest.raises(AuthenticationError):
            signin.authenticate(ctx, ann, "wrong " + CARD)
    events.record_export(
        ctx, actor=ann, dataset="transactions", filters={"merchant": "alpha", "card": CARD}, rows=42
    )
    manager = add_user(ctx, "manager", "max")
    parents = [add_tx(ctx, "DB", amount_minor=500_000, currency="EUR") for _ in range(4)]
    approvals.approve(ctx, _refund(ctx, parents[0], ann, "2000"), actor=manager)
    approvals.reject(ctx, _refund(ctx, parents[1], ann, "2000"), actor=manager, reason="no ticket")
    approvals.cancel(ctx, _refund(ctx, parents[2], ann, "2000"), actor=ann)
    _refund(ctx, parents[3], ann, "2000")
    clock.advance(hours=ctx.settings.approval_hours + 1)
    approvals.list_approvals(ctx, actor=manager)  # expires what is due


def test_every_kind_the_issue_lists_is_recorded_and_chained(ctx: Context, clock: Clock) -> None:
    _every_kind_happens(ctx, clock)
    found = _all(ctx)
    assert {e["kind"] for e in found} >= ISSUE_KINDS
    for event in found:
        assert {"seq", "at", "kind", "user", "target", "channel", "details"} <= event.keys()
    report = verify_trails(ctx, actor=SYSTEM)
    assert report.ok and report.events.records == len(found) and not report.events.gaps


def test_records_name_who_acted_whom_it_concerns_and_the_details(ctx: Context, clock: Clock) -> None:
    _every_kind_happens(ctx, clock)
    role = _all(ctx, kind="role_changed")[-1]
    assert (role["user"], role["target"], role["details"]) == (
        "system",
        "ann",
        {"from": "analyst", "to": "manager"},
    )
    scope = _all(ctx, kind="scope_assigned", user="ann")[0]  # newest first
    assert scope["target"] == "ann" and scope["details"] == {"merchant": "alpha", "channel": None}
    export = _all(ctx, kind="export")[0]
    assert (export["user"], export["target"], export["details"]["rows"]) == ("ann", "transactions", 42)
    rejected = _all(ctx, kind="approval_rejected")[0]
    assert rejected["user"] == "max" and rejected["details"]["reason"] == "no ticket"
    assert rejected["details"]["requested_by"] == "ann"
    expired = _all(ctx, kind="approval_expired")[0]
    assert expired["user"] == "system"
    assert all(e["channel"] == "cli" for e in _all(ctx))  # a library call counts as the command line


def test_no_password_token_or_full_card_number_is_ever_stored(ctx: Context, clock: Clock) -> None:
    _every_kind_happens(ctx, clock)
    events.record_security_event(
        ctx, "export", actor="ann", details={"password": PASSWORD, "api_token": "tok-123", "pan": CARD}
    )
    with ctx.db.uow() as uow:
        stored = json.dumps(
            [
                [r.detail, r.target, r.username, r.actor]
                for r in uow.session.execute(select(SecurityEvent)).scalars()
            ]
        )
    for secret in (PASSWORD, "another horse battery staple", "tok-123", CARD, CARD.replace(" ", "")):
        assert secret not in stored
    assert "************1111" in stored and "[redacted]" in stored


def test_the_roles_file_is_recorded_with_its_sha256_once_per_change(ctx: Context, tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles.admin]\npermissions = ["users:manage", "security:events"]\n')
    local = Context(ctx.db, Settings(ctx.settings.database_url, ctx.settings.roles, roles_file=str(roles)))
    assert note_roles_loaded(local) and not note_roles_loaded(local)
    roles.write_text(roles.read_text() + "\n# changed\n")
    assert note_roles_loaded(local)
    loaded = _all(ctx, kind="roles_loaded")
    assert loaded[0]["details"]["sha256"] == hashlib.sha256(roles.read_bytes()).hexdigest()
    assert loaded[0]["target"] == str(roles) and len(loaded) == 2


def test_filters_by_user_kind_and_time(ctx: Context, clock: Clock) -> None:
    start = clock.current
    add_user(ctx, "viewer", "vera")
    clock.advance(hours=2)
    add_user(ctx, "viewer", "walt")
    users.disable_user(ctx, "walt", actor=SYSTEM)
    assert {e["target"] for e in _all(ctx, user="walt")} == {"walt"}
    assert [e["kind"] for e in _all(ctx, user="walt", kind="user_disabled")] == ["user_disabled"]
    early = _all(ctx, since=start.isoformat(), until=(start + timedelta(hours=1)).isoformat())
    assert {e["target"] for e in early} == {"vera"}
    assert {e["target"] for e in _all(ctx, since=(start + timedelta(hours=1)).isoformat())} == {"walt"}
    with pytest.raises(InputError, match="Kind"):
        parse_event_filters(kind="password_is")
    with pytest.raises(InputError, match="Until"):
        parse_event_filters(since="2026-11-02", until="2026-11-01")


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_only_holders_of_security_events_read_them(ctx: Context, role: str) -> None:
    reader = add_user(ctx, role)
    with pytest.raises(PermissionDenied):
        list_events(ctx, EventFilters(), actor=reader)
    admin = add_user(ctx, "admin")
    assert list_events(ctx, EventFilters(user=reader), actor=admin)
