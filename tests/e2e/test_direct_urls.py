"""Every page opened by URL on a freshly started server, without signing in, shows only sign-in.

A fresh server has not built the role-based navigation yet, so Streamlit runs the page
file itself: each page's own guard must stop it before any data is read.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from bo_core.domain.authorization import SYSTEM
from bo_core.services import users
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.search import SearchFilters, search_page
from tests.e2e.conftest import (
    FIRST_VIEW_TIMEOUT_MS,
    NewPage,
    Server,
    part_of,
    refundable_debits,
    screenshot,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OUTSIDER = ("e2e.outsider", "Quentin Outsider-Zephyr")
PATHS = ["/", "/transactions", "/details?uuid={uuid}", "/history", "/users"]


@pytest.fixture(scope="module")
def secrets(fresh_server: Server) -> tuple[str, list[str]]:
    """A details UUID to ask for, and strings only a signed-in page could show."""
    ctx = fresh_server.ctx
    (details,) = refundable_debits(ctx, 1)
    tx = details.transaction
    refund_txid = f"E2E-SECRET-{uuid.uuid4().hex[:8].upper()}"
    result = run_operation(
        ctx,
        OperationRequest(
            operation="refund",
            parent_uuid=tx.uuid,
            username="analyst",
            amount=part_of(details.balances["available"].to_str(), tx.currency),
            transaction_id=refund_txid,
            idempotency_key=uuid.uuid4().hex,
            reason="requested_by_customer",
        ),
    )
    assert result.ok and result.uuid, result.message
    # A demo-only database (demo mode refuses any other); still a name only a signed-in page shows.
    users.create_user(
        ctx, OUTSIDER[0], "viewer", "outsider-password-123", OUTSIDER[1], actor=SYSTEM, demo=True
    )
    newest = search_page(ctx, SearchFilters(), page_size=50, actor=SYSTEM).rows
    shown = [value for row in newest for value in (row.uuid, row.transaction_id)]
    return tx.uuid, [tx.uuid, tx.transaction_id, refund_txid, result.uuid, *OUTSIDER, *shown]


@pytest.mark.parametrize("path", PATHS)
def test_page_url_without_sign_in_on_a_fresh_server_shows_only_the_sign_in_form(
    fresh_server: Server, new_page: NewPage, secrets: tuple[str, list[str]], path: str
) -> None:
    details_uuid, private = secrets
    page = new_page()
    page.goto(fresh_server.url + path.format(uuid=details_uuid))
    expect(page.locator(".st-key-sign_in_username input")).to_be_visible(timeout=FIRST_VIEW_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    wait_idle(page)
    page.wait_for_timeout(1000)  # anything rendered after the form would show up by now
    wait_idle(page)

    text = page.locator("body").inner_text()
    leaked = [value for value in private if value in text]
    assert not leaked, f"{path} shows data before sign-in: {leaked[:5]}"
    for heading in ("Transactions", "Transaction Details", "Operation History", "Users", "Balances"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(0)
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(0)
    expect(page.locator("[data-testid=stSidebar]").get_by_role("link")).to_have_count(0)
    if path == "/":
        screenshot(page, "sign-in.png")
