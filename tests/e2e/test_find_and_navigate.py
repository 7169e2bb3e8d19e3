"""Finding a transaction and URLs that hold, in Chromium: deep links after sign-in on a server
other browsers have used, the search in the URL (reload, Back), typed page addresses, sign-out
across tabs, keyboard focus and opening, and the folded filters of a phone-sized screen."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from bo_core.domain.authorization import SYSTEM
from bo_core.services.search import SearchFilters, TxSummary, search_page
from tests.e2e.conftest import (
    FIRST_VIEW_TIMEOUT_MS,
    PASSWORDS,
    UI_TIMEOUT_MS,
    NewPage,
    Server,
    settle,
    sign_in,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPEN_BUTTONS = "[class*='st-key-open_'] button"


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _fill_sign_in(page: Page, username: str) -> None:
    page.locator(".st-key-sign_in_username input").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.locator(".st-key-sign_in_username input").fill(username)
    page.locator(".st-key-sign_in_password input").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()


def _search(page: Page, text: str) -> None:
    box = page.locator(".st-key-q input")
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def _pick(page: Page, key: str, label: str) -> None:
    """Choose ``label`` in the select box of ``key`` (opened again if a rerun closed it)."""
    option = page.get_by_role("option", name=label, exact=True)
    for _attempt in range(3):
        wait_idle(page)
        page.locator(f".st-key-{key}").click()
        try:
            option.wait_for(timeout=10_000)
            break
        except Exception:
            page.keyboard.press("Escape")
    option.click()
    wait_idle(page)


def _choose_period(page: Page, label: str) -> None:
    _pick(page, "period", label)


def _open_keys(page: Page) -> list[str]:
    """The rows shown, as the UUIDs in the keys of their open buttons (one per row, in order)."""
    expect(page.locator(OPEN_BUTTONS).first).to_be_visible()
    classes: list[str] = page.locator("[class*='st-key-open_']").evaluate_all(
        "els => els.map(e => e.className)"
    )
    return [m.group(1) for c in classes if (m := re.search(r"st-key-open_([0-9a-f]{32})", c))]


def _count_text(page: Page) -> str:
    return page.get_by_text(re.compile(r"^[\d,]+\+? matching transactions$")).inner_text()


def _common_surname(server: Server) -> str:
    """A surname with more than one page of matches in the demo data."""
    rows = search_page(server.ctx, SearchFilters(), page_size=200, actor=SYSTEM).rows
    counts: dict[str, int] = {}
    for row in rows:
        if row.holder and " " in row.holder:
            surname = row.holder.split(" ", 1)[1].title()
            counts[surname] = counts.get(surname, 0) + 1
    for surname, _n in sorted(counts.items(), key=lambda kv: -kv[1]):
        found = search_page(server.ctx, SearchFilters(text=surname), page_size=60, actor=SYSTEM)
        if found.has_next:
            return surname
    pytest.fail("no surname with more than one page of matches")


def _old_capture(server: Server) -> TxSummary:
    """A transaction older than 30 days, with a Transaction ID only it starts with."""
    end = server.ctx.now() - timedelta(days=40)
    rows = search_page(server.ctx, SearchFilters(date_to=end), page_size=100, actor=SYSTEM).rows
    for row in rows:
        same = search_page(server.ctx, SearchFilters(text=row.transaction_id), page_size=2, actor=SYSTEM)
        if len(same.rows) == 1:
            return row
    pytest.fail("the demo data has no transaction older than 40 days")


def test_a_deep_link_opened_signed_out_lands_on_its_transaction_after_sign_in_every_time(
    app_server: Server, new_page: NewPage
) -> None:
    # app_server has served a browser already (its fixture loads the demo through one).
    rows = search_page(app_server.ctx, SearchFilters(), page_size=3, actor=SYSTEM).rows
    for row in rows[:2]:  # two separate browsers, one after the other
        page = new_page()
        page.goto(f"{app_server.url}/details?uuid={row.uuid}")
        _fill_sign_in(page, "analyst")
        code = page.locator("[data-testid=stCode]").filter(has_text=row.uuid)
        expect(code).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page).to_have_url(re.compile(rf"/details\?uuid={row.uuid}$"))


def test_an_identifier_finds_a_transaction_older_than_the_period_and_the_page_says_so(
    app_server: Server, new_page: NewPage
) -> None:
    old = _old_capture(app_server)
    page = new_page()
    sign_in(page, app_server.url, "viewer")
    _search(page, old.transaction_id.lower())
    expect(page.get_by_text("the period is ignored")).to_be_visible()
    expect(page.locator(OPEN_BUTTONS)).to_have_count(1)
    assert _open_keys(page) == [old.uuid]
    assert _query(page)["q"] == [old.transaction_id.lower()]


def test_the_url_holds_the_current_search_in_codes_and_a_reload_shows_the_same_list(
    app_server: Server, new_page: NewPage
) -> None:
    surname = _common_surname(app_server)
    page = new_page()
    sign_in(page, app_server.url, "viewer")
    _search(page, "something-else")
    _search(page, surname)
    _choose_period(page, "Any time")
    page.get_by_text("More filters").click()
    _pick(page, "type", "Debit")
    page.keyboard.press("Escape")
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"type=DB"))
    assert _query(page) == {"q": [surname], "period": ["all"], "type": ["DB"]}
    shown, count = _open_keys(page), _count_text(page)

    page.reload()
    expect(page.get_by_role("heading", name="Transactions")).to_be_visible(timeout=UI_TIMEOUT_MS)
    settle(page)
    assert page.locator(".st-key-q input").input_value() == surname
    assert _open_keys(page) == shown
    assert _count_text(page) == count
    assert _query(page) == {"q": [surname], "period": ["all"], "type": ["DB"]}


def test_an_old_link_with_a_period_label_still_opens_that_period(
    app_server: Server, new_page: NewPage
) -> None:
    page = new_page()
    sign_in(page, app_server.url, "viewer")
    page.goto(f"{app_server.url}/transactions?period=Last+7+days")
    expect(page).to_have_url(re.compile(r"\?period=7d$"), timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="Period")).to_be_visible()
    assert "Last 7 days" in page.locator(".st-key-period").aria_snapshot()


def test_back_from_a_transaction_returns_to_the_same_search_and_page(
    app_server: Server, new_page: NewPage
) -> None:
    surname = _common_surname(app_server)
    page = new_page()
    sign_in(page, app_server.url, "viewer")
    _search(page, surname)
    _choose_period(page, "Any time")
    page.locator(".st-key-page_next button").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Page 2"))).to_be_visible()
    settle(page)
    shown = _open_keys(page)
    assert _query(page)["page"] == ["2"]

    page.locator(f".st-key-open_{shown[3]} button").click()
    expect(page).to_have_url(re.compile(rf"/details\?uuid={shown[3]}$"))
    wait_idle(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/transactions\?"), timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"^Page 2"))).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_idle(page)
    assert page.locator(".st-key-q input").input_value() == surname
    assert _open_keys(page) == shown
    assert _query(page) == {"q": [surname], "period": ["all"], "page": ["2"]}


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/transactions", "Transactions"), ("/history", "Operation History"), ("/users", "Users")],
)
def test_a_typed_page_address_opens_that_page_when_signed_in(
    app_server: Server, new_page: NewPage, path: str, heading: str
) -> None:
    page = new_page()
    sign_in(page, app_server.url, "admin")
    page.goto(app_server.url + path)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert urlsplit(page.url).path == path


def test_sign_out_in_one_tab_signs_out_the_other_at_its_next_click(
    app_server: Server, new_page: NewPage
) -> None:
    first = new_page()
    sign_in(first, app_server.url, "viewer")
    second = first.context.new_page()
    second.set_default_timeout(UI_TIMEOUT_MS)
    second.goto(app_server.url + "/transactions")
    expect(second.get_by_role("heading", name="Transactions")).to_be_visible(timeout=FIRST_VIEW_TIMEOUT_MS)
    settle(second)

    first.locator("[data-testid=stSidebar]").get_by_role("button", name="Sign out").click()
    expect(first.locator(".st-key-sign_in_username input")).to_be_visible()
    settle(first)  # the session is ended on the server; the other tab re-validates at its next run

    _choose_period(second, "Last 7 days")  # the other tab's next interaction
    expect(second.locator(".st-key-sign_in_username input")).to_be_visible()
    expect(second.locator("[data-testid=stDataFrame]")).to_have_count(0)


def test_focus_starts_in_the_username_then_in_the_search_box_and_a_row_opens_with_enter(
    app_server: Server, new_page: NewPage
) -> None:
    page = new_page()
    page.goto(app_server.url)
    username = page.locator(".st-key-sign_in_username input")
    expect(username).to_be_focused(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.keyboard.type("viewer")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["viewer"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Transactions")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.locator(".st-key-q input")).to_be_focused()
    settle(page)

    target = _open_keys(page)[2]
    button = page.locator(f".st-key-open_{target} button")
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/details\?uuid={target}$"), timeout=UI_TIMEOUT_MS)


def test_on_a_phone_sized_screen_results_come_before_the_folded_secondary_filters(
    app_server: Server, chromium: Browser
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(app_server.url)
        _fill_sign_in(page, "viewer")
        expect(page.get_by_role("heading", name="Transactions")).to_be_visible()
        settle(page)
        expect(page.locator(".st-key-q input")).to_be_visible()
        expect(page.locator(".st-key-period")).to_be_visible()
        for key in ("type", "status", "merchant", "currency", "brand", "min", "max"):
            expect(page.locator(f".st-key-{key}")).not_to_be_visible()
        grid = page.locator("[data-testid=stDataFrame]")
        expect(grid).to_be_visible()
        box = grid.bounding_box()
        assert box is not None
        assert box["y"] < 844, "the first rows are on the first screen"
    finally:
        context.close()
