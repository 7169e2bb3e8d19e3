"""The Approvals page: approvers decide others' requests, requesters see and cancel their own."""

from __future__ import annotations

from bo_core.domain.authorization import SYSTEM
from bo_core.services import approvals
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user
from tests.ui.conftest import AppFactory

PAGE = "pages/approvals.py"


def _request(ctx: Context, analyst: str) -> int:
    parent = add_tx(ctx, "DB", 500_000)
    result = run_operation(
        ctx, OperationRequest("refund", parent, analyst, amount="2000.00", reason="requested_by_customer")
    )
    assert result.request_id is not None
    return result.request_id


def _labels(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.label for b in at.button]


def test_the_sidebar_counts_open_requests_for_approvers_only(app: AppFactory, ui_ctx: Context) -> None:
    analyst = add_user(ui_ctx, "analyst")
    _request(ui_ctx, analyst)
    manager = app(add_user(ui_ctx, "manager"))
    assert any("Approvals (1)" in str(link.proto.label) for link in manager.sidebar.get("page_link"))
    requester = app(analyst)
    assert not any("(1)" in str(link.proto.label) for link in requester.sidebar.get("page_link"))


def test_a_manager_approves_another_users_request_from_the_page(app: AppFactory, ui_ctx: Context) -> None:
    rid = _request(ui_ctx, add_user(ui_ctx, "analyst"))
    at = app(add_user(ui_ctx, "manager"), page=PAGE)
    assert "Approve" in _labels(at)
    at.button(key=f"approve_{rid}").click().run()
    assert not at.exception
    [view] = approvals.list_approvals(ui_ctx, actor=SYSTEM)
    assert view.state == "approved" and view.child_uuid


def test_the_requester_sees_their_request_without_approve_and_can_cancel(
    app: AppFactory, ui_ctx: Context
) -> None:
    analyst = add_user(ui_ctx, "analyst")
    rid = _request(ui_ctx, analyst)
    at = app(analyst, page=PAGE)
    assert "Approve" not in _labels(at) and f"#{rid}" in at.markdown[0].value + "".join(
        m.value for m in at.markdown
    )
    at.button(key=f"cancel_{rid}").click().run()
    assert approvals.list_approvals(ui_ctx, actor=SYSTEM)[0].state == "cancelled"


def test_a_manager_sees_no_approve_button_on_their_own_request(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager")
    parent = add_tx(ui_ctx, "DB", 5_000_000)
    rid = run_operation(
        ui_ctx, OperationRequest("refund", parent, manager, amount="30000.00", reason="requested_by_customer")
    ).request_id
    at = app(manager, page=PAGE)
    assert "Approve" not in _labels(at) and f"cancel_{rid}" in [b.key for b in at.button]


def test_a_rejection_without_a_reason_shows_why_and_keeps_the_request_open(
    app: AppFactory, ui_ctx: Context
) -> None:
    rid = _request(ui_ctx, add_user(ui_ctx, "analyst"))
    at = app(add_user(ui_ctx, "manager"), page=PAGE)
    at.button(key=f"reject_{rid}").click().run()
    assert at.error and "reason" in at.error[0].value
    assert approvals.list_approvals(ui_ctx, actor=SYSTEM)[0].state == "open"
    at.text_input(key=f"reason_{rid}").input("amount not agreed with the merchant").run()
    at.button(key=f"reject_{rid}").click().run()
    assert approvals.list_approvals(ui_ctx, actor=SYSTEM)[0].state == "rejected"


def test_the_users_page_assigns_and_unassigns_a_merchant(app: AppFactory, ui_ctx: Context) -> None:
    from bo_core.services import scopes

    admin = add_user(ui_ctx, "admin")
    target = add_user(ui_ctx, "analyst", scoped=True)
    at = app(admin, page="pages/users.py")
    at.selectbox(key="scope_user").select(target).run()
    at.text_input(key="scope_merchant").input("alpha").run()
    at.button(key="scope_assign").click().run()
    assert not at.exception
    assert scopes.user_scope(ui_ctx, target, actor=SYSTEM).scope == [{"merchant": "alpha", "channel": None}]
    at.button(key="scope_unassign").click().run()
    assert scopes.user_scope(ui_ctx, target, actor=SYSTEM).scope == []
