"""Driving the operation dialog in the browser: amount, reason, the button that names the amount."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from bo_web import fmt
from tests.e2e.conftest import wait_idle

SUBMIT = ".st-key-op_submit button"


def choose_reason(page: Page, dialog: Locator, label: str) -> None:
    """Pick ``label`` (``Requested by customer``) in the dialog's Reason box."""
    dialog.locator(".st-key-op_reason").click()
    page.get_by_role("option", name=label, exact=True).click()
    wait_idle(page)


def enter_amount(page: Page, dialog: Locator, amount: str) -> None:
    """Type ``amount`` and leave the field (Tab), so the dialog takes it."""
    field = dialog.locator(".st-key-op_amount input")
    field.fill(amount)
    field.press("Tab")
    wait_idle(page)


def submit(
    page: Page,
    dialog: Locator,
    operation: str,
    amount: str,
    currency: str,
    reason: str | None = "Requested by customer",
) -> None:
    """Enter the amount (and reason), check the button says what will happen, press it."""
    enter_amount(page, dialog, amount)
    if reason is not None:
        choose_reason(page, dialog, reason)
    button = dialog.locator(SUBMIT)
    expect(button).to_have_text(f"{operation} {fmt.money(amount, currency)}")
    button.click()
