"""Real-browser fixtures: `streamlit run app.py` on a free port, driven by Debian's Chromium.

Each server gets its own SQLite file in demo mode. Tests reach the same file through
bo_core services (picking data before the browser starts, checking what it wrote).
Without /usr/bin/chromium the tests skip on a developer machine and fail under CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bo_core.demo import DEMO_USERS
from bo_core.demo.bootstrap import ensure_demo
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.money import Money, exponent
from bo_core.services.context import Context
from bo_core.services.search import SearchFilters, search_page
from bo_core.services.show import TransactionDetails, show_transaction
from tests.conftest import make_context

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = ROOT / "docs" / "screenshots"
START_TIMEOUT = 120.0
FIRST_VIEW_TIMEOUT_MS = 120_000  # a cold first run (imports, opening the database) on a loaded machine
UI_TIMEOUT_MS = 60_000
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
SESSION_COOKIE = "bo_session"
PASSWORDS = {username: password for username, _role, password in DEMO_USERS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    ctx: Context
    log: Path


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not become healthy in {START_TIMEOUT:.0f}s:\n{log.read_text()[-3000:]}")


@contextmanager
def _run_server(workdir: Path, database_url: str, *, demo: bool = True) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = workdir / "streamlit.log"
    env = {
        **os.environ,
        "BO_DATABASE_URL": database_url,
        "BO_BCRYPT_ROUNDS": "4",
        "PYTHONUNBUFFERED": "1",
        "BO_EXPORT_DIR": str(workdir / "exports"),
    }
    if demo:
        env["BO_DEMO_MODE"] = "1"
        env.pop("BO_COOKIE_KEY", None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",  # the production entry point: app.py inside bo's own server layer
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's `chromium` package for the e2e tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[Server]:
    """A server that loads its own demo data on first start (the first page view triggers it)."""
    workdir = tmp_path_factory.mktemp("e2e-app")
    database_url = f"sqlite:///{workdir / 'bo.sqlite3'}"
    with _run_server(workdir, database_url) as (url, log):
        context = chromium.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        page.locator(".st-key-sign_in_username input").wait_for(timeout=START_TIMEOUT * 1000)
        context.close()
        ctx = make_context(database_url)
        try:
            yield Server(url, ctx, log)
        finally:
            ctx.db.dispose()


@pytest.fixture(scope="session")
def fresh_server(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[Server]:
    """A server no browser has talked to before; its data is loaded through bo_core first."""
    workdir = tmp_path_factory.mktemp("e2e-fresh")
    database_url = f"sqlite:///{workdir / 'bo.sqlite3'}"
    ctx = make_context(database_url)
    ensure_demo(ctx, transactions=3000)
    try:
        with _run_server(workdir, database_url) as (url, log):
            yield Server(url, ctx, log)
    finally:
        ctx.db.dispose()


NewPage = Callable[..., Page]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _dump_failed_pages(request: pytest.FixtureRequest, out: Path, pages: list[Page]) -> None:
    """On a failed test, what each page showed: its text on stdout (in the report) and a
    screenshot under the test's temporary directory."""
    if not request.node.stash.get(_FAILED, False):
        return
    for number, page in enumerate(pages):
        try:
            print(f"--- page {number} at {page.url} ---\n{page.inner_text('body', timeout=5_000)[:4000]}")
            page.screenshot(path=str(out / f"failed-page-{number}.png"), full_page=True, timeout=5_000)
            print(f"screenshot: {out / f'failed-page-{number}.png'}")
        except Exception as exc:  # a closed or hung page: the report shows what it can
            print(f"--- page {number}: not readable ({exc}) ---")


@pytest.fixture
def new_page(chromium: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewPage]:
    """``new_page(clipboard=False)`` → a page in its own browser context (no cookies shared)."""
    contexts: list[BrowserContext] = []

    def make(clipboard: bool = False) -> Page:
        permissions = ["clipboard-read", "clipboard-write"] if clipboard else []
        context = chromium.new_context(viewport=VIEWPORT, permissions=permissions)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        return page

    yield make
    _dump_failed_pages(request, tmp_path, [page for context in contexts for page in context.pages])
    for context in contexts:
        context.close()


def refundable_debits(ctx: Context, count: int, *, skip: int = 0) -> list[TransactionDetails]:
    """Successful debits an analyst may partially refund, with a Transaction ID unique in the data."""
    found: list[TransactionDetails] = []
    page = search_page(ctx, SearchFilters(types=("DB",), statuses=("success",)), page_size=200, actor=SYSTEM)
    for row in page.rows:
        details = show_transaction(ctx, row.uuid, actor="analyst")
        available_minor = details.balances["available"].decimal * 10 ** exponent(row.currency)
        if "refund" not in (details.available_operations or []) or available_minor < 2:
            continue
        same_id = search_page(ctx, SearchFilters(text=row.transaction_id), page_size=2, actor=SYSTEM).rows
        if len(same_id) != 1:
            continue
        if skip:
            skip -= 1
            continue
        found.append(details)
        if len(found) == count:
            return found
    pytest.fail(f"the demo data has fewer than {count} refundable debits")


def part_of(available: Money | str, currency: str) -> str:
    """About half of ``available``, in the currency's minor-unit precision, always less than it."""
    digits = exponent(currency)
    whole = available.minor if isinstance(available, Money) else int(Decimal(available) * 10**digits)
    minor = whole // 2
    value = Decimal(minor) / Decimal(10) ** digits
    return f"{value:.{digits}f}"


def wait_idle(page: Page) -> None:
    page.locator(IDLE).wait_for()


def settle(page: Page) -> None:
    """Idle after the run the cookie manager starts by itself once it has written or deleted
    the cookie (it reports the browser's cookies back a moment after the run that wrote)."""
    wait_idle(page)
    page.wait_for_timeout(400)
    wait_idle(page)


def sign_in(page: Page, base_url: str, username: str) -> None:
    """Sign in through the form; wait for the Transactions page and the session cookie."""
    page.goto(base_url)
    page.locator(".st-key-sign_in_username input").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.locator(".st-key-sign_in_username input").fill(username)
    page.locator(".st-key-sign_in_password input").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Transactions").wait_for()
    page.locator("[data-testid=stSidebar]").get_by_text(f"{username} · role:").wait_for()
    page.wait_for_function(f"document.cookie.includes('{SESSION_COOKIE}=')")
    settle(page)


def open_page(page: Page, title: str) -> None:
    """Follow the sidebar link to ``title`` and wait for its heading."""
    page.locator("[data-testid=stSidebar]").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_idle(page)


def screenshot(page: Page, name: str) -> None:
    """The whole page into ``docs/screenshots/``, only with ``BO_SCREENSHOTS=1`` (a normal run
    leaves the committed images alone). Streamlit scrolls inside its main area, so the viewport
    grows to fit it."""
    if os.environ.get("BO_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement?.blur()")
    wait_idle(page)
    page.wait_for_timeout(500)  # charts and grids paint after the run
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [role=dialog]')]"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    page.set_viewport_size(VIEWPORT)
