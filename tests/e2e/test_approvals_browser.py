"""Four-eyes approval in a real browser: the requester cannot approve, another manager can."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from bo_core.domain.authorization import SYSTEM
from bo_core.services import approvals
from bo_core.services.execute import OperationRequest, run_operation
from tests.e2e.conftest import FIRST_VIEW_TIMEOUT_MS, NewPage, Server, sign_in, wait_idle
from tests.factories import PASSWORD, add_tx, add_user

pytestmark = pytest.mark.e2e


def sign_in_as(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url)
    page.locator(".st-key-sign_in_username input").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.locator(".st-key-sign_in_username input").fill(username)
    page.locator(".st-key-sign_in_password input").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Transactions").wait_for()
    wait_idle(page)


def open_approvals(page: Page, server: Server) -> None:
    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Approvals").first.click()
    page.get_by_role("heading", name="Approvals", exact=True).wait_for()
    wait_idle(page)


def test_the_requester_has_no_approve_button_and_another_manager_approves(
    app_server: Server, new_page: NewPage
) -> None:
    ctx = app_server.ctx
    # An old, large debit: outside the newest rows other browser tests pick from.
    parent = add_tx(ctx, "DB", 5_000_000, created_at=ctx.now() - timedelta(days=400))
    request = OperationRequest("refund", parent, "manager", amount="30000.00", reason="requested_by_customer")
    rid = run_operation(ctx, request).request_id
    assert rid is not None
    second = add_user(ctx, "manager", f"manager-{uuid.uuid4().hex[:6]}")

    requester = new_page()
    sign_in(requester, app_server.url, "manager")
    open_approvals(requester, app_server)
    expect(requester.locator(f".st-key-cancel_{rid}")).to_be_visible()
    expect(requester.locator(f".st-key-approve_{rid}")).to_have_count(0)

    approver = new_page()
    sign_in_as(approver, app_server.url, second, PASSWORD)
    open_approvals(approver, app_server)
    approver.locator(f".st-key-approve_{rid} button").click()
    expect(approver.get_by_text(f"Request {rid} approved and booked")).to_be_visible()
    done = next(v for v in approvals.list_approvals(ctx, actor=SYSTEM) if v.id == rid)
    assert (done.state, done.decided_by) == ("approved", second) and done.child_uuid
