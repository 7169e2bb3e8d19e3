"""Stored markdown injection on the newer pages (approvals, bulk operations, bulk runs, risk, saved
views), in Chromium: hostile merchant names, user names, file names, reasons and view names are
shown as text. Same "outside" server as ``test_hostile_values``: no request may reach it, no link
or image to it may appear. Its own server and database, so the hostile merchant stays out of the
other browser tests' data."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bo_core.demo import create_demo_users
from bo_core.domain.authorization import SYSTEM
from bo_core.services import approvals, bulk, scopes, users, views
from bo_core.services.execute import OperationRequest, run_operation
from bo_web.safe import WORD_JOINER
from tests.conftest import make_context
from tests.e2e.conftest import (
    FIRST_VIEW_TIMEOUT_MS,
    PASSWORDS,
    NewPage,
    Server,
    _free_port,
    _run_server,
    open_page,
    sign_in,
    wait_idle,
)
from tests.e2e.test_hostile_values import Beacon, assert_inert
from tests.factories import add_tx, reason_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def outside() -> Iterator[Beacon]:
    found = Beacon(_free_port())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found.hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", found.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield found
    server.shutdown()


@dataclass
class Seeded:
    server: Server
    user: str
    merchant: str
    reason: str
    file_name: str
    view_name: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, chromium: Browser, outside: Beacon) -> Iterator[Seeded]:
    workdir: Path = tmp_path_factory.mktemp("e2e-hostile-pages")
    database_url = f"sqlite:///{workdir / 'bo.sqlite3'}"
    ctx = make_context(database_url)
    b = outside.base
    merchant = f"![m]({b}/m.png)"[:64]
    user = f"mallory-{uuid.uuid4().hex[:6]}"
    reason = f"[Session expired: sign in again]({b}/reason) see {b}/bare-reason"
    file_name = f"![f]({b}/file.png) <img src={b}/file-html.png>.csv"
    view_name = f"[view]({b}/view) {b}/bare-view"[:80]
    try:
        create_demo_users(ctx)
        users.create_user(
            ctx, user, "admin", PASSWORDS["admin"], name=f"![me]({b}/me.png)", demo=True, actor=SYSTEM
        )
        PASSWORDS[user] = PASSWORDS["admin"]
        scopes.assign(ctx, user, "*", actor=SYSTEM)
        now = datetime.now(UTC)
        parent = add_tx(ctx, "DB", 500_000, merchant=merchant, brand="VISA", created_at=now)
        add_tx(ctx, "CB", 1_000, parent=add_tx(ctx, "DB", 1_000, merchant=merchant, brand="VISA"))
        for operation, amount in (("refund", "2000.00"), ("rebill", "1500.00")):
            asked = run_operation(  # above the analyst's threshold: waits for approval
                ctx,
                OperationRequest(
                    operation=operation,
                    parent_uuid=parent,
                    username="analyst",
                    amount=amount,
                    memo=reason,
                    idempotency_key=uuid.uuid4().hex,
                    reason=reason_for(operation),
                ),
            )
            assert asked.outcome == "awaiting_approval", asked
        request_id = approvals.list_approvals(ctx, actor=user)[0].id
        approvals.reject(ctx, request_id, actor=user, reason=reason)
        csv = f"parent_uuid;operation;amount;memo\r\n{parent};refund;1.00;{reason}\r\n".encode()
        bulk.run_file(ctx, csv, file_name, user, dry_run=True)
        views.save_view(ctx, view_name, {"merchant": [merchant]}, actor=user, visibility="team")
        with _run_server(workdir, database_url) as (url, log):
            yield Seeded(Server(url, ctx, log), user, merchant, reason, file_name, view_name)
    finally:
        ctx.db.dispose()


def _selected(area: Locator) -> str:
    """What the first select box in ``area`` shows (its value sits in the combobox's input)."""
    box = area.locator("[data-testid=stSelectbox]").first
    combo = box.get_by_role("combobox")
    shown = combo.input_value() if combo.count() and combo.evaluate("e => 'value' in e") else ""
    return (shown or box.inner_text() or "").replace(WORD_JOINER, "")


def _main_text(page: Page) -> str:
    return page.locator("[data-testid=stMain]").inner_text().replace(WORD_JOINER, "")


def test_approvals_bulk_runs_risk_and_saved_views_show_hostile_values_as_text(
    seeded: Seeded, new_page: NewPage, outside: Beacon
) -> None:
    page = new_page()
    sign_in(page, seeded.server.url, seeded.user)
    assert_inert(page, outside)

    saved_views = page.locator("[data-testid=stExpander]").filter(has_text="Saved views")
    saved_views.get_by_text("Saved views").click()
    wait_idle(page)
    assert_inert(page, outside)
    assert seeded.view_name in _selected(saved_views)

    open_page(page, "Approvals")
    page.locator(".st-key-ap_state, [data-testid=stSelectbox]").first.wait_for()
    assert_inert(page, outside)
    assert f"Merchant {seeded.merchant}" in _main_text(page)

    open_page(page, "Bulk runs")
    assert_inert(page, outside)
    assert seeded.file_name in _selected(page.locator("[data-testid=stMain]"))

    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Risk").click()
    page.get_by_role("heading", name="Chargeback-ratio watch").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    assert_inert(page, outside)


def test_an_uploaded_file_name_is_shown_as_text(seeded: Seeded, new_page: NewPage, outside: Beacon) -> None:
    page = new_page()
    sign_in(page, seeded.server.url, seeded.user)
    open_page(page, "Bulk operations")
    name = "**bold** <b>tag</b> [Session expired](javascript:alert(1)) www.example.com.csv"
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        {
            "name": name,
            "mimeType": "text/csv",
            "buffer": f"parent_uuid;operation;amount\r\n{'a' * 32};refund;1.00\r\n".encode(),
        }
    )
    wait_idle(page)
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text("**bold**", exact=False).first).to_be_visible()
    assert main.locator("a[href^='javascript'], a[href*='example.com'], b").count() == 0
    assert "**bold** <b>tag</b> [Session expired](javascript:" in main.locator("strong").first.inner_text()
    assert_inert(page, outside)
