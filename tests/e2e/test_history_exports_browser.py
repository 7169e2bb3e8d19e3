"""Operation History for managers and the exports, in Chromium against `streamlit run serve.py`.

The demo's weeks of attempts fill the charts on the first start; a refused attempt
shows what it asked for; exports state their row count first, are masked unless the
role may export personal data, carry a BOM, are audited, and download only into the
session that made them (then the file is gone).
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bo_core.security.events import list_security_events
from tests.e2e.conftest import (
    SESSION_COOKIE,
    UI_TIMEOUT_MS,
    NewPage,
    Server,
    open_page,
    screenshot,
    settle,
    sign_in,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LINK = "a.bo-export-link"
MASKED_EMAIL = re.compile(r"^.•••@")


def _get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _cookie(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)


def _prepare(page: Page, key: str, noun: str) -> str:
    """The row count shown before the export starts; then prepare it and return the link's URL."""
    caption = page.get_by_text(re.compile(rf"The export will hold [\d,]+ {noun}"))
    expect(caption).to_be_visible(timeout=UI_TIMEOUT_MS)
    count = re.search(r"hold ([\d,]+)", caption.inner_text())
    assert count is not None
    button = page.locator(f".st-key-{key}_prepare button")
    expect(button).to_have_text(re.compile(rf"Prepare CSV of {count.group(1)} {noun}"))
    button.click()
    link = page.locator(LINK)
    expect(link).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert f"Download {count.group(1)} {noun}" in link.inner_text()
    href = link.get_attribute("href")
    assert href and href.startswith("/media/export/")
    return href


def _download(page: Page) -> bytes:
    with page.expect_download(timeout=UI_TIMEOUT_MS) as info:
        page.locator(LINK).click()
    download = info.value
    assert re.fullmatch(r"(transactions|operation-history)-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    return Path(download.path()).read_bytes()


def test_history_charts_say_something_on_first_start(app_server: Server, new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, app_server.url, "manager")
    open_page(page, "Operation History")
    for title in ("Refusals by reason", "Refusals by role", "Amounts per currency", "Attempts per user"):
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    expect(page.get_by_text("No refusals.")).to_have_count(0)
    expect(page.locator("[data-testid=stVegaLiteChart]")).to_have_count(5, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"Refused attempts asked for: .+ EUR"))).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    screenshot(page, "history-charts.png")


def test_refused_attempts_are_filtered_by_attempted_amount_and_exported_with_the_parent(
    app_server: Server, new_page: NewPage
) -> None:
    page = new_page()
    sign_in(page, app_server.url, "manager")
    open_page(page, "Operation History")
    page.locator(".st-key-h_outcome").click()
    page.get_by_role("option", name="🔴 Refused", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-h_currency").click()
    page.get_by_role("option", name="EUR", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-h_amin input").fill("50")
    page.locator(".st-key-h_amin input").press("Enter")
    settle(page)
    data = _download_after_prepare(page, "h_export", "attempts")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows, "the demo history has refused EUR attempts of 50 and more"
    for row in rows:
        assert row["outcome"] == "refused" and row["currency"] == "EUR"
        assert float(row["attempted"]) >= 50 and row["amount"] == ""
        assert row["parent_type"] and row["parent_transaction_id"] and len(row["parent_uuid"]) == 32
    grid = page.locator("[data-testid=stDataFrame]").last
    expect(grid.locator("th", has_text="Attempted")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(grid.locator("th", has_text="Acted on")).to_have_count(1, timeout=UI_TIMEOUT_MS)


def _download_after_prepare(page: Page, key: str, noun: str) -> bytes:
    _prepare(page, key, noun)
    data = _download(page)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: spreadsheets read the accents right
    return data


@pytest.mark.parametrize(("username", "masked"), [("viewer", True), ("admin", False)])
def test_the_transactions_export_is_masked_like_the_screen_unless_the_role_may_export_personal_data(
    app_server: Server, new_page: NewPage, username: str, masked: bool
) -> None:
    page = new_page()
    sign_in(page, app_server.url, username)
    data = _download_after_prepare(page, "export", "transactions")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    emails = [r["customer_email"] for r in rows if r.get("customer_email")]
    assert emails, rows[:1]
    assert all(MASKED_EMAIL.match(e) for e in emails) is masked
    exports = [e for e in list_security_events(app_server.ctx, username=username) if e.kind == "export"]
    assert exports and json.loads(exports[0].detail)["rows"] == len(rows)


def test_the_download_answers_only_the_owning_live_session_and_only_once(
    app_server: Server, new_page: NewPage
) -> None:
    owner = new_page()
    sign_in(owner, app_server.url, "analyst")
    href = _prepare(owner, "export", "transactions")
    other = new_page()
    sign_in(other, app_server.url, "viewer")
    url = app_server.url + href
    assert _get(url)[0] == 403  # no session
    assert _get(url, "forged.cookie")[0] == 403
    assert _get(url, _cookie(other))[0] == 404  # a live session, but not the owner's
    status, body = _get(url, _cookie(owner))
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert _get(url, _cookie(owner))[0] == 404  # deleted after the download
    token = href.rsplit("/", 1)[1]
    exports = Path(app_server.log).parent / "exports"
    assert not (exports / f"{token}.csv").exists()
