"""The Security events page in a real browser; sign-ins are recorded as the web, with the session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bo_core.db.security_models import SecurityEvent
from tests.e2e.conftest import FIRST_VIEW_TIMEOUT_MS, NewPage, Server, open_page, sign_in

pytestmark = pytest.mark.e2e


def test_an_admin_sees_the_sign_ins_on_the_security_events_page(
    app_server: Server, new_page: NewPage
) -> None:
    failed = new_page()
    failed.goto(app_server.url)
    failed.locator(".st-key-sign_in_username input").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    failed.locator(".st-key-sign_in_username input").fill("viewer")
    failed.locator(".st-key-sign_in_password input").fill("not the password 4111111111111111")
    failed.get_by_role("button", name="Sign in").click()
    expect(failed.get_by_text(re.compile("not correct|incorrect|wrong", re.I)).first).to_be_visible()
    page = new_page()
    sign_in(page, app_server.url, "admin")
    open_page(page, "Security events")
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid.locator("td[role=gridcell]", has_text=re.compile(r"^sign_in$")).first).to_be_attached()
    expect(grid.locator("td[role=gridcell]", has_text=re.compile(r"^sign_in_failed$")).first).to_be_attached()
    with app_server.ctx.db.uow() as uow:
        rows = list(
            uow.session.execute(
                select(SecurityEvent).where(SecurityEvent.kind.in_(["sign_in", "sign_in_failed"]))
            ).scalars()
        )
        signed = [r for r in rows if r.kind == "sign_in" and r.username == "admin"]
        assert signed and all(r.channel == "web" for r in rows)
        assert all("4111111111111111" not in r.detail for r in rows)
