"""TOTP in the browser: set up on My account (QR code and key), then asked for a code at sign-in."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from bo_core.domain.authorization import SYSTEM
from bo_core.services import users
from tests.e2e.conftest import (
    PASSWORDS,
    SESSION_COOKIE,
    NewPage,
    Server,
    open_page,
    settle,
    sign_in,
    wait_idle,
)

pytestmark = pytest.mark.e2e


def _next_step_code(totp: pyotp.TOTP, after: int) -> str:
    """A code of a later time step than ``after`` (a code is accepted once)."""
    while int(time.time()) // totp.interval <= after:
        time.sleep(1)
    return totp.now()


def test_a_user_sets_up_totp_and_then_signs_in_with_a_code(app_server: Server, new_page: NewPage) -> None:
    username = f"tina-{uuid.uuid4().hex[:6]}"
    users.create_user(
        app_server.ctx, username, "analyst", PASSWORDS["analyst"], name="Tina", demo=True, actor=SYSTEM
    )
    PASSWORDS[username] = PASSWORDS["analyst"]
    page = new_page()
    sign_in(page, app_server.url, username)
    open_page(page, "My account")
    qr = page.locator("[data-testid=stImage] img")
    assert qr.get_attribute("src", timeout=30_000).startswith("data:image/png;base64,")
    secret = page.locator("[data-testid=stCode]").first.inner_text().strip()
    totp = pyotp.TOTP(secret)
    enrolled_step = int(time.time()) // totp.interval
    page.locator(".st-key-totp_enrol_code input").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Recovery codes").wait_for()
    page.get_by_role("button", name="I have saved them").click()
    wait_idle(page)
    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Sign out").click()
    page.locator(".st-key-sign_in_username input").wait_for()
    # The cookie manager deletes the cookie in the browser and reports back with one more
    # run; typing before that run ends can be lost when the form is drawn again.
    page.wait_for_function(f"!document.cookie.includes('{SESSION_COOKIE}=')")
    settle(page)

    page.locator(".st-key-sign_in_username input").fill(username)
    page.locator(".st-key-sign_in_password input").fill(PASSWORDS[username])
    expect(page.locator(".st-key-sign_in_username input")).to_have_value(username)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Second factor").wait_for()
    page.locator(".st-key-mfa_code_input input").fill("000000")
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("The code is not correct.").wait_for()
    page.locator(".st-key-mfa_code_input input").fill(_next_step_code(totp, enrolled_step))
    page.get_by_role("button", name="Verify").click()
    # Signed in (the app returns to the page this browser session was on).
    page.locator("[data-testid=stSidebar]").get_by_text(f"{username} · role:").wait_for()
