"""What each role sees in the browser: operation buttons, Operation History, Users."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from bo_core.demo import DEMO_USERS
from bo_core.domain.types import Operation
from bo_core.services.execute import OperationRequest, run_operation
from tests.e2e.conftest import (
    UI_TIMEOUT_MS,
    NewPage,
    Server,
    open_page,
    part_of,
    refundable_debits,
    screenshot,
    sign_in,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPERATION_BUTTONS = "[class*='st-key-op_']"


def grid_cell(grid: Locator, text: str) -> Locator:
    """A data-grid cell by its exact text (the grid draws on a canvas; its cells live in an inner table)."""
    return grid.locator("td[role=gridcell]", has_text=re.compile(rf"^{re.escape(text)}$"))


def open_details(page: Page, server: Server, tx_uuid: str) -> None:
    page.goto(f"{server.url}/details?uuid={tx_uuid}")
    # A loaded machine can take longer than the default five seconds to draw the page.
    code = page.locator("[data-testid=stCode]").filter(has_text=tx_uuid)
    expect(code).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Balances")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)


def test_viewer_sees_no_operation_buttons_where_an_analyst_sees_them(
    app_server: Server, new_page: NewPage
) -> None:
    (details,) = refundable_debits(app_server.ctx, 1, skip=1)
    offered = details.available_operations or []
    assert "refund" in offered

    analyst = new_page()
    sign_in(analyst, app_server.url, "analyst")
    open_details(analyst, app_server, details.transaction.uuid)
    expect(analyst.locator(OPERATION_BUTTONS)).to_have_count(len(offered))

    viewer = new_page()
    sign_in(viewer, app_server.url, "viewer")
    open_details(viewer, app_server, details.transaction.uuid)
    expect(viewer.locator(OPERATION_BUTTONS)).to_have_count(0)
    expect(viewer.get_by_role("heading", name="Operations")).to_have_count(0)
    for op in Operation:
        expect(viewer.get_by_role("button", name=op.label, exact=True)).to_have_count(0)


def test_manager_finds_a_refund_by_its_transaction_id_in_operation_history(
    app_server: Server, new_page: NewPage
) -> None:
    (details,) = refundable_debits(app_server.ctx, 1, skip=2)
    tx = details.transaction
    txid = f"E2E-HIST-{uuid.uuid4().hex[:10].upper()}"
    result = run_operation(
        app_server.ctx,
        OperationRequest(
            operation="refund",
            parent_uuid=tx.uuid,
            username="analyst",
            amount=part_of(details.balances["available"].to_str(), tx.currency),
            transaction_id=txid,
            idempotency_key=uuid.uuid4().hex,
            reason="requested_by_customer",
        ),
    )
    assert result.ok, result.message
    page = new_page()
    sign_in(page, app_server.url, "manager")

    open_page(page, "Operation History")
    page.locator(".st-key-h_user").click()
    page.get_by_role("option", name="analyst", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-h_operation").click()
    page.get_by_role("option", name="Refund", exact=True).click()
    wait_idle(page)
    attempts = page.locator("[data-testid=stDataFrame]").last
    expect(grid_cell(attempts, txid)).to_have_count(1)
    screenshot(page, "history.png")


def test_admin_sees_every_demo_user_on_the_users_page(app_server: Server, new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, app_server.url, "admin")
    open_page(page, "Users")
    grid = page.locator("[data-testid=stDataFrame]").first
    for username, _role, _password in DEMO_USERS:
        expect(grid_cell(grid, username).first).to_be_attached()
    screenshot(page, "users.png")
