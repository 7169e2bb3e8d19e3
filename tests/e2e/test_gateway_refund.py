"""Gateway mode in the browser: a refund reaches the sandbox; an unknown outcome is resolved by
"Check status now"."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bo_core.demo import create_demo_users
from bo_core.domain.authorization import SYSTEM
from bo_core.services.context import Context
from bo_core.services.show import show_transaction
from tests.conftest import make_context
from tests.e2e.conftest import ROOT, NewPage, _free_port, _wait_healthy, sign_in, wait_idle
from tests.e2e.dialog import submit
from tests.gateway_support import SandboxProcess, children_at_gateway, in_opp_mode, opp_env, parent_at_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture
def opp_app(tmp_path: Path, sandbox: SandboxProcess) -> Iterator[tuple[str, Context, str]]:
    database_url = f"sqlite:///{tmp_path / 'bo.sqlite3'}"
    ctx = in_opp_mode(make_context(database_url), sandbox.url)
    create_demo_users(ctx)  # demo mode accepts data beside its own users, never data without them
    debit = parent_at_gateway(sandbox, ctx, "DB", "80.00")  # not empty: demo mode loads no demo data
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = {
        **os.environ,
        **opp_env(sandbox.url, timeout=8.0),  # generous: the plain refund must answer in time
        "BO_DEMO_MODE": "1",
        "BO_DATABASE_URL": database_url,
    }
    env.pop("BO_COOKIE_KEY", None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
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
        yield url, ctx, debit
    finally:
        proc.terminate()
        proc.wait(15)
        ctx.db.dispose()


def test_a_refund_reaches_the_sandbox_and_check_status_now_resolves_an_unknown_outcome(
    opp_app: tuple[str, Context, str], sandbox: SandboxProcess, new_page: NewPage
) -> None:
    url, ctx, debit = opp_app
    page = new_page()
    sign_in(page, url, "analyst")
    page.goto(f"{url}/details?uuid={debit}")
    page.locator(".st-key-op_refund button").wait_for()
    expect(page.locator(".st-key-op_chargeback")).to_have_count(0)  # never offered in gateway mode
    wait_idle(page)

    page.locator(".st-key-op_refund button").click()
    dialog = page.get_by_role("dialog")
    submit(page, dialog, "Refund", "10.00", "EUR")
    expect(dialog.get_by_text("Refund booked")).to_be_visible(timeout=60_000)
    [sent] = children_at_gateway(sandbox, debit)
    assert (sent["paymentType"], sent["amount"]) == ("RF", "10.00")
    assert show_transaction(ctx, sent["id"], actor=SYSTEM).transaction.status == "success"
    dialog.locator(".st-key-dialog_close button").click()
    wait_idle(page)

    sandbox.faults({"kind": "timeout_after_booking", "on": "RF", "seconds": 9.0})  # books first
    page.locator(".st-key-op_refund button").click()
    dialog = page.get_by_role("dialog")
    submit(page, dialog, "Refund", "5.00", "EUR")
    expect(dialog.get_by_text("outcome unknown at the gateway").first).to_be_visible(timeout=60_000)
    dialog.locator(".st-key-dialog_close button").click()
    wait_idle(page)
    expect(page.get_by_text("Pending at the gateway")).to_be_visible()
    page.get_by_role("button", name="Check status now").click()
    # Data is shown as inert text: a word joiner follows the colon (bo_web.safe).
    expect(page.get_by_text(re.compile(r"The gateway says:\W*success"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text("Pending at the gateway")).to_have_count(0)
    refunds = [c for c in children_at_gateway(sandbox, debit) if c["result"]["code"].startswith("000.")]
    assert len(refunds) == 2
    assert show_transaction(ctx, debit, actor=SYSTEM).balances["refunded"].to_str() == "15.00"
