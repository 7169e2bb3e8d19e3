"""Real browser: upload a bulk file, dry run, execute, re-upload (nothing booked twice); the Risk page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bo_core.db.models import TransactionRow
from bo_core.services.context import Context
from tests.e2e.conftest import (
    NewPage,
    Server,
    open_page,
    part_of,
    refundable_debits,
    screenshot,
    sign_in,
    wait_idle,
)

pytestmark = pytest.mark.e2e


def refunds(ctx: Context, parents: list[str]) -> list[tuple[str, int]]:
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow.parent_uuid, TransactionRow.amount_minor).where(
            TransactionRow.parent_uuid.in_(parents),
            TransactionRow.type == "RF",
            TransactionRow.source == "back_office",
        )
        return sorted((str(p), int(a)) for p, a in uow.session.execute(stmt).all())


def upload_and_dry_run(page: Page, path: Path) -> None:
    open_page(page, "Bulk operations")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    expect(page.get_by_text(f"{path.name}: 3 lines.")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", name="Dry run")).to_be_visible()
    wait_idle(page)


def test_bulk_upload_dry_run_execute_and_reupload_books_each_line_once(
    app_server: Server, new_page: NewPage, tmp_path: Path
) -> None:
    ctx = app_server.ctx
    one, two = refundable_debits(ctx, 2, skip=20)
    a1 = part_of(one.balances["available"], one.transaction.currency)
    a2 = part_of(two.balances["available"], two.transaction.currency)
    over = one.balances["available"].decimal  # after the first line, more than what is left
    path = tmp_path / "faulty-shipment.csv"
    path.write_text(
        "parent_uuid;operation;amount;memo;reason\r\n"
        f"{one.transaction.uuid};refund;{a1};faulty shipment;requested_by_customer\r\n"
        f"{one.transaction.uuid};refund;{over};faulty shipment;requested_by_customer\r\n"
        f"{two.transaction.uuid};refund;{a2};faulty shipment;requested_by_customer\r\n",
        encoding="utf-8",
    )
    parents = [one.transaction.uuid, two.transaction.uuid]
    before = refunds(ctx, parents)

    page = new_page()
    sign_in(page, app_server.url, "analyst")
    upload_and_dry_run(page, path)
    assert refunds(ctx, parents) == before  # a dry run books nothing
    execute = page.get_by_role("button", name="Execute")
    expect(execute).to_be_disabled()
    screenshot(page, "bulk-dry-run.png")
    page.get_by_text("I confirm: execute 3 lines").click()
    wait_idle(page)
    execute.click()
    expect(page.get_by_text("Run finished")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="Download the result file (CSV)")).to_be_visible()
    screenshot(page, "bulk-result.png")
    booked = refunds(ctx, parents)
    assert len(booked) == len(before) + 2

    again = new_page()
    sign_in(again, app_server.url, "analyst")
    upload_and_dry_run(again, path)
    again.get_by_text("I confirm: execute 3 lines").click()
    wait_idle(again)
    again.get_by_role("button", name="Execute").click()
    expect(again.get_by_text("Run finished")).to_be_visible()
    assert refunds(ctx, parents) == booked  # the same file again: nothing booked twice

    open_page(again, "Bulk runs")
    screenshot(again, "bulk-runs.png")


def test_risk_page_shows_the_demo_merchant_above_a_threshold(app_server: Server, new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, app_server.url, "manager")
    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Risk").click()
    page.get_by_role("heading", name="Chargeback-ratio watch").wait_for()
    wait_idle(page)
    expect(page.get_by_text("Demo configuration: the chargeback count floors are lowered")).to_be_visible()
    expect(page.get_by_text("Twelve-month trend")).to_be_visible()
    screenshot(page, "risk.png")
