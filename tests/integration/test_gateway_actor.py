"""Who may run the gateway services: SYSTEM for cron tasks, the operation's own permission to check one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import PermissionDenied
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.csv_import import import_csv
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.gateway_import import import_window
from bo_core.services.gateway_reconcile import check_status, reconcile
from bo_core.services.show import show_transaction
from tests.factories import add_user, row_counts
from tests.gateway_support import SandboxProcess, in_opp_mode, parent_at_gateway


def test_cron_tasks_refuse_everyone_but_system(sqlite_ctx: Context, tmp_path: Path) -> None:
    admin = add_user(sqlite_ctx, "admin")
    csv = tmp_path / "x.csv"
    csv.write_text("uuid\n")
    now = datetime.now(UTC)
    for actor in (None, "", "ghost", admin):
        with pytest.raises(PermissionDenied):
            reconcile(sqlite_ctx, 0, actor=actor)  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            import_window(sqlite_ctx, now - timedelta(hours=1), now, actor=actor)  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            import_csv(sqlite_ctx, csv, actor=actor)  # type: ignore[arg-type]
    assert row_counts(sqlite_ctx) == (0, 0)


def test_check_status_needs_the_operations_own_permission(
    sqlite_ctx: Context, sandbox: SandboxProcess
) -> None:
    opp = in_opp_mode(sqlite_ctx, sandbox.url)
    analyst, viewer, manager = add_user(opp, "analyst"), add_user(opp, "viewer"), add_user(opp, "manager")
    disabled = add_user(opp, "analyst")
    users.disable_user(opp, disabled, actor=SYSTEM)
    db = parent_at_gateway(sandbox, opp, "DB", "20.00")
    sandbox.faults({"kind": "reset_after_booking"})
    pending = run_operation(
        opp, OperationRequest("refund", db, analyst, amount="5.00", reason="requested_by_customer")
    )
    assert pending.outcome == "unknown" and pending.uuid
    before = row_counts(opp)
    for actor in (None, "", "ghost", viewer, disabled):
        with pytest.raises(PermissionDenied):
            check_status(opp, pending.uuid, actor=actor)  # type: ignore[arg-type]
    assert row_counts(opp) == before
    report = check_status(opp, pending.uuid, actor=manager)
    assert report.resolved[0]["status"] == "success"
    child = show_transaction(opp, report.resolved[0]["uuid"], actor=SYSTEM).transaction
    assert child.status == "success"
