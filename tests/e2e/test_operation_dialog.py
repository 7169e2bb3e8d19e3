"""Money safety in the operation dialog, and the details page a team reads before acting.

Each test writes its own parent through bo_core into the server's database, opens its details
page as a signed-in user and checks what the browser shows and what the database holds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from bo_core.domain import result_codes as rc
from bo_web import fmt
from tests.e2e.conftest import NewPage, Server, screenshot, sign_in, wait_idle
from tests.e2e.dialog import SUBMIT, choose_reason, enter_amount, submit
from tests.factories import add_tx
from tests.rows import children

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def open_details(page: Page, server: Server, uuid: str) -> None:
    page.goto(f"{server.url}/details?uuid={uuid}")
    page.locator("[data-testid=stCode]").filter(has_text=uuid).first.wait_for()
    wait_idle(page)


def open_refund(page: Page) -> Locator:
    page.locator(".st-key-op_refund button").click()
    dialog = page.get_by_role("dialog")
    dialog.locator(SUBMIT).wait_for()
    wait_idle(page)
    return dialog


def refunds(server: Server, parent: str) -> list[tuple[int, str | None, str | None]]:
    kids = children(server.ctx, parent)
    return [(c.amount_minor, c.reason_code, c.reason_note) for c in kids if c.type == "RF"]


@pytest.fixture
def analyst_page(app_server: Server, new_page: NewPage) -> Page:
    page = new_page()
    sign_in(page, app_server.url, "analyst")
    return page


def test_enter_in_the_amount_never_books_and_the_button_names_what_will_happen(
    app_server: Server, analyst_page: Page
) -> None:
    page = analyst_page
    parent = add_tx(app_server.ctx, "DB", 5_000)
    open_details(page, app_server, parent)
    dialog = open_refund(page)
    choose_reason(page, dialog, "Duplicate")
    field = dialog.locator(".st-key-op_amount input")
    expect(field).to_have_value("50.00")  # prefilled with the whole refundable amount
    field.press("Enter")
    wait_idle(page)
    field.fill("1.00")
    field.press("Enter")
    wait_idle(page)
    page.wait_for_timeout(500)
    assert refunds(app_server, parent) == []  # two Enters, nothing booked
    expect(dialog).to_be_visible()
    button = dialog.locator(SUBMIT)
    expect(button).to_have_text(f"Refund {fmt.money('1.00', 'EUR')}")  # "Refund 1.00 EUR"
    expect(button).to_have_text("Refund 1.00 EUR")
    button.click()
    expect(dialog.get_by_text("Refund booked")).to_be_visible()
    assert refunds(app_server, parent) == [(100, "duplicate", None)]


def test_cancel_closes_the_dialog_without_booking(app_server: Server, analyst_page: Page) -> None:
    page = analyst_page
    parent = add_tx(app_server.ctx, "DB", 5_000)
    open_details(page, app_server, parent)
    dialog = open_refund(page)
    enter_amount(page, dialog, "2.00")
    choose_reason(page, dialog, "Duplicate")
    dialog.locator(".st-key-op_cancel button").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_idle(page)
    assert refunds(app_server, parent) == []


def test_above_the_threshold_a_second_step_asks_before_booking_and_below_it_none(
    app_server: Server, new_page: NewPage
) -> None:
    # A manager: the analyst's four-eyes threshold (also 1,000 EUR) would turn this into a request.
    page = new_page()
    sign_in(page, app_server.url, "manager")
    big = add_tx(app_server.ctx, "DB", 500_000)  # 5,000.00 EUR; the default threshold is 1,000 EUR
    open_details(page, app_server, big)
    dialog = open_refund(page)
    submit(page, dialog, "Refund", "1500.00", "EUR", "Fraudulent")
    confirm = dialog.locator(".st-key-op_confirm button")
    expect(confirm).to_have_text("Confirm refund 1,500.00 EUR")
    expect(dialog).to_contain_text("1,000.00 EUR")
    screenshot(page, "operation-confirmation.png")
    assert refunds(app_server, big) == []  # the first click books nothing
    dialog.locator(".st-key-op_back button").click()  # back to the fields, as they were
    expect(dialog.locator(".st-key-op_amount input")).to_have_value("1500.00")
    dialog.locator(SUBMIT).click()
    confirm.click()
    expect(dialog.get_by_text("Refund booked")).to_be_visible()
    assert refunds(app_server, big) == [(150_000, "fraudulent", None)]
    dialog.locator(".st-key-dialog_close button").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_idle(page)

    dialog = open_refund(page)
    submit(page, dialog, "Refund", "999.00", "EUR", "Duplicate")
    expect(dialog.get_by_text("Refund booked")).to_be_visible()
    expect(dialog.locator(".st-key-op_confirm")).to_have_count(0)
    assert sorted(refunds(app_server, big)) == [(99_900, "duplicate", None), (150_000, "fraudulent", None)]


def test_a_refund_needs_a_reason_and_other_needs_a_note(app_server: Server, analyst_page: Page) -> None:
    page = analyst_page
    parent = add_tx(app_server.ctx, "DB", 5_000)
    open_details(page, app_server, parent)
    dialog = open_refund(page)
    submit(page, dialog, "Refund", "3.00", "EUR", reason=None)
    expect(dialog).to_contain_text("needs a reason")
    choose_reason(page, dialog, "Other")
    dialog.locator(SUBMIT).click()
    expect(dialog).to_contain_text("needs a note")
    assert refunds(app_server, parent) == []
    dialog.locator(".st-key-op_note input").fill("customer phoned twice")
    dialog.locator(".st-key-op_note input").press("Tab")
    wait_idle(page)
    dialog.locator(SUBMIT).click()
    expect(dialog.get_by_text("Refund booked")).to_be_visible()
    assert refunds(app_server, parent) == [(300, "other", "customer phoned twice")]


def test_refunded_counts_settled_refunds_and_shows_the_pending_ones_apart(
    app_server: Server, analyst_page: Page
) -> None:
    page = analyst_page
    ctx = app_server.ctx
    parent = add_tx(ctx, "DB", 5_000)
    add_tx(ctx, "RF", 648, parent=parent)
    add_tx(ctx, "RF", 915, parent=parent, result_code=rc.PENDING)
    open_details(page, app_server, parent)
    metric = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text("Refunded", exact=True))
    expect(metric.locator("[data-testid=stMetricValue]")).to_have_text("6.48 EUR")
    expect(page.get_by_text("Refunded 6.48 EUR · pending 9.15 EUR").first).to_be_visible()
    dialog = open_refund(page)
    expect(dialog).to_contain_text("Refunded 6.48 EUR · pending 9.15 EUR")
    expect(dialog.locator(".st-key-op_amount input")).to_have_value("34.37")


def test_nine_refunds_give_nine_distinct_links_in_the_order_of_the_chain(
    app_server: Server, analyst_page: Page
) -> None:
    page = analyst_page
    ctx = app_server.ctx
    start = ctx.now() - timedelta(hours=2)
    parent = add_tx(ctx, "DB", 100_000, transaction_id="ORDER-2026-000123", created_at=start)
    txids = [f"ORDER-2026-000123-REFUND-LONG-REFERENCE-{i}" for i in range(1, 10)]
    for i, txid in enumerate(txids):
        status = rc.PENDING if i == 4 else rc.SUCCESS
        add_tx(
            ctx,
            "RF",
            100 + i,
            parent=parent,
            transaction_id=txid,
            created_at=start + timedelta(minutes=i + 1),
            result_code=status,
        )
    open_details(page, app_server, parent)
    members = page.locator(".st-key-chain_links [class*='st-key-open_']")
    expect(members).to_have_count(9)
    expect(page.locator(".st-key-chain_links button")).to_have_count(9)
    links = [member.locator("button") for member in members.all()]
    labels = [link.inner_text().strip() for link in links]
    assert len(set(labels)) == 9, labels
    for i, (label, txid) in enumerate(zip(labels, txids, strict=True)):
        assert "Refund" in label and txid in label, label  # type and the whole Transaction ID
        assert fmt.money(100 + i, "EUR") in label, label
        assert ("Pending" if i == 4 else "Success") in label, label
    for link in links:  # nothing cut off: each label fits its button
        fits = link.evaluate("b => [...b.querySelectorAll('p')].every(p => p.scrollWidth <= p.clientWidth)")
        assert fits
    screenshot(page, "chain.png")
    links[6].click()
    expect(page.locator("[data-testid=stCode]").filter(has_text=txids[6])).to_be_visible()


def test_the_whole_uuid_is_visible_at_1280_by_720(app_server: Server, analyst_page: Page) -> None:
    page = analyst_page
    page.set_viewport_size({"width": 1280, "height": 720})
    parent = add_tx(app_server.ctx, "DB", 5_000)
    open_details(page, app_server, parent)
    block = page.locator("[data-testid=stCode]").filter(has_text=parent).first
    code = block.locator("code").first
    expect(code).to_have_text(parent)
    clipped = code.evaluate(
        "c => { const boxes = [c, c.closest('pre')].filter(Boolean);"
        " return boxes.some(e => e.scrollWidth > e.clientWidth + 1); }"
    )
    assert not clipped, "the UUID is cut off at 1280x720"
    right = code.evaluate("c => c.getBoundingClientRect().right")
    container = block.evaluate("b => b.getBoundingClientRect().right")
    assert right <= container + 1
