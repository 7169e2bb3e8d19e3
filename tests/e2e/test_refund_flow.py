"""An analyst finds a debit, partially refunds it through the dialog and copies the new UUID."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bo_core.domain.authorization import SYSTEM
from bo_core.services.show import show_transaction
from bo_web import fmt
from tests.e2e.conftest import NewPage, Server, part_of, refundable_debits, screenshot, sign_in, wait_idle
from tests.e2e.dialog import SUBMIT, choose_reason, enter_amount

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_analyst_partial_refund_copies_a_new_uuid_that_is_an_rf_child_shown_in_the_chain(
    app_server: Server, new_page: NewPage
) -> None:
    ctx = app_server.ctx
    (parent,) = refundable_debits(ctx, 1)
    tx = parent.transaction
    available = parent.balances["available"].to_str()
    amount = part_of(available, tx.currency)
    page = new_page(clipboard=True)

    sign_in(page, app_server.url, "analyst")
    screenshot(page, "transactions.png")

    page.locator(".st-key-q input").fill(tx.transaction_id)
    page.locator(".st-key-q input").press("Enter")
    expect(page.get_by_text("1 matching transactions")).to_be_visible()
    wait_idle(page)
    page.locator(f".st-key-open_{tx.uuid} button").click()
    expect(page).to_have_url(re.compile(rf"/details\?uuid={tx.uuid}$"))
    expect(page.locator("[data-testid=stCode]").filter(has_text=tx.uuid)).to_be_visible()
    wait_idle(page)

    page.locator(".st-key-op_refund button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"On Debit {tx.transaction_id}")
    amount_input = dialog.locator(".st-key-op_amount input")
    expect(amount_input).to_have_value(available)
    enter_amount(page, dialog, amount)
    choose_reason(page, dialog, "Requested by customer")
    child_txid = dialog.locator(".st-key-op_txid input").input_value()
    assert child_txid, "the dialog suggests a Transaction ID"
    submit_button = dialog.locator(SUBMIT)
    expect(submit_button).to_have_text(f"Refund {fmt.money(amount, tx.currency)}")
    screenshot(page, "operation-dialog.png")
    submit_button.click()

    expect(dialog.get_by_text("Refund booked")).to_be_visible()
    wait_idle(page)
    screenshot(page, "confirmation.png")
    uuid_block = dialog.locator("[data-testid=stCode]").first
    uuid_block.hover()
    uuid_block.get_by_role("button", name="Copy to clipboard").click()
    copied = page.evaluate("navigator.clipboard.readText()")

    assert re.fullmatch(r"[0-9a-f]{32}", copied), copied
    child = show_transaction(ctx, copied, actor=SYSTEM).transaction
    assert (child.type, child.parent_uuid, child.amount.to_str()) == ("RF", tx.uuid, amount)
    assert child.transaction_id == child_txid

    dialog.locator(".st-key-dialog_close button").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f".st-key-open_{copied} button")).to_contain_text(f"Child · Refund · {child_txid}")
    available_now = show_transaction(ctx, tx.uuid, actor=SYSTEM).balances["available"].to_str()
    assert Decimal(available_now) == Decimal(available) - Decimal(amount)
    metric = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text("Refundable", exact=True))
    expect(metric.locator("[data-testid=stMetricValue]")).to_have_text(fmt.money(available_now, tx.currency))
    screenshot(page, "details.png")
