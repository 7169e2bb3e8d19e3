"""Stored markdown injection: hostile values typed by analysts or sent by cardholders are shown
as text everywhere, in Chromium. An "outside" HTTP server on the loopback counts every request
a rendered value makes the browser send; no link or image to it may appear in the page."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page

from bo_core.domain.authorization import SYSTEM
from bo_core.services import scopes, users
from bo_core.services.execute import OperationRequest, run_operation
from bo_web.safe import WORD_JOINER
from tests.e2e.conftest import (
    FIRST_VIEW_TIMEOUT_MS,
    PASSWORDS,
    NewPage,
    Server,
    _free_port,
    open_page,
    sign_in,
    wait_idle,
)
from tests.factories import add_tx

pytestmark = pytest.mark.e2e


@dataclass
class Beacon:
    port: int
    hits: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def values(self, where: str) -> dict[str, str]:
        """One hostile value of each kind, tagged with where it is stored."""
        b = self.base
        return {
            "image": f"![pixel]({b}/img-{where}.png)",
            "link": f"[Session expired: sign in again]({b}/link-{where})",
            "bare": f"see {b}/bare-{where} or www.example.com/{where}",
            "html": f"<img src={b}/html-{where}.png><a href={b}/a-{where}>x</a>",
        }


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    found = Beacon(_free_port())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found.hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", found.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()


@dataclass
class Hostile:
    parent: str
    txid: str
    user: str


@pytest.fixture(scope="module")
def hostile(app_server: Server, beacon: Beacon) -> Hostile:
    ctx = app_server.ctx
    v = beacon.values
    tag = uuid.uuid4().hex[:6]
    txid = f"HOSTILE-{tag} " + v("txid")["image"]
    parent = add_tx(
        ctx,
        "DB",
        amount_minor=50_000,
        transaction_id=txid[:255],
        holder=v("holder")["link"][:128],
        holder_lc=v("holder")["link"][:128].lower(),
        customer_name=v("customer")["image"][:128],
        customer_email=f"x@{beacon.base[7:]}.example"[:254],
        usage=v("usage")["bare"][:127],
        memo=" ".join(v("memo").values()),
        merchant="acme-shop",
    )
    add_tx(ctx, "RF", amount_minor=100, parent=parent, transaction_id=v("child")["link"][:255])
    # The same Transaction ID at another merchant: the other browser tests pick only debits
    # whose Transaction ID is unique, so they leave these hostile rows alone.
    add_tx(ctx, "DB", amount_minor=700, transaction_id=txid[:255], merchant="other-shop")
    run_operation(  # a history entry whose own fields are hostile
        ctx,
        OperationRequest(
            operation="refund",
            parent_uuid=parent,
            username="analyst",
            amount="1.00",
            transaction_id=v("op")["image"][:255],
            memo=v("opmemo")["link"],
            usage=v("opusage")["bare"][:127],
            idempotency_key=uuid.uuid4().hex,
            reason="requested_by_customer",
        ),
    )
    name = v("username")["link"][:128]
    users.create_user(ctx, f"mallory-{tag}", "admin", PASSWORDS["admin"], name=name, demo=True, actor=SYSTEM)
    PASSWORDS[f"mallory-{tag}"] = PASSWORDS["admin"]
    scopes.assign(ctx, f"mallory-{tag}", "*", actor=SYSTEM)  # a new user sees nothing until assigned
    return Hostile(parent, txid, f"mallory-{tag}")


def assert_inert(page: Page, beacon: Beacon) -> None:
    wait_idle(page)
    page.wait_for_timeout(1500)  # images would have been requested by now
    port = f":{beacon.port}"
    live = page.locator(f"a[href*='{port}'], a[href*='example.com'], img[src*='{port}']")
    assert live.count() == 0, [
        live.nth(i).evaluate(
            "e => { let p = e; const t = []; while (p) { if (p.dataset && p.dataset.testid) "
            "t.push(p.dataset.testid); p = p.parentElement; } return t.join('<') + ' ' + e.outerHTML; }"
        )
        for i in range(live.count())
    ]
    assert beacon.hits == []


def test_details_page_and_dialog_show_hostile_values_as_text(
    app_server: Server, new_page: NewPage, beacon: Beacon, hostile: Hostile
) -> None:
    page = new_page()
    sign_in(page, app_server.url, hostile.user)
    assert_inert(page, beacon)  # the sidebar shows the hostile user name
    page.goto(f"{app_server.url}/details?uuid={hostile.parent}")
    page.get_by_role("heading", name="Balances").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    assert_inert(page, beacon)
    body = page.locator("[data-testid=stMain]").inner_text().replace(WORD_JOINER, "")
    assert "[Session expired: sign in again](" in body  # the link is shown as the text it is
    assert f"{beacon.base}/bare-usage" in body and "![pixel](" in body
    assert "<img src=" in body  # HTML shown, not interpreted
    page.locator("[class*='st-key-op_refund'] button").click()
    page.get_by_role("dialog").wait_for()
    assert_inert(page, beacon)
    assert f"HOSTILE-{hostile.txid[8:14]} ![pixel](" in page.get_by_role("dialog").inner_text().replace(
        WORD_JOINER, ""
    )


def test_lists_history_and_users_show_hostile_values_as_text(
    app_server: Server, new_page: NewPage, beacon: Beacon, hostile: Hostile
) -> None:
    page = new_page()
    sign_in(page, app_server.url, hostile.user)
    page.locator(".st-key-q input").fill(hostile.txid.split(" ")[0])
    page.keyboard.press("Enter")
    assert_inert(page, beacon)
    open_page(page, "Operation History")
    assert_inert(page, beacon)
    open_page(page, "Users")
    assert_inert(page, beacon)
