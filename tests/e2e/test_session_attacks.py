"""Attacks on the sign-in session against a running server: forged, replayed and
session-id-only attempts, in Chromium and with a raw websocket client."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from playwright.sync_api import Page

from bo_web.auth import DEMO_COOKIE_KEY
from tests.e2e.conftest import (
    FIRST_VIEW_TIMEOUT_MS,
    SESSION_COOKIE,
    NewPage,
    Server,
    sign_in,
    wait_idle,
)
from tests.e2e.raw_client import run_script, session_id_of

pytestmark = pytest.mark.e2e


def _shows_sign_in(page: Page) -> bool:
    page.locator(".st-key-sign_in_username input").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    wait_idle(page)
    return page.get_by_role("heading", name="Transactions").count() == 0


def _open_with_cookie(new_page: NewPage, server: Server, value: str) -> Page:
    page = new_page()
    host = server.url.split("//")[1].split(":")[0]
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": value, "domain": host, "path": "/"}])
    page.goto(server.url)
    return page


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


FORGED = {
    # The old cookie format, signed with the public demo key, valid until the year 3000.
    "far_future_jwt": jwt.encode({"username": "admin", "exp_date": 32503680000.0}, DEMO_COOKIE_KEY),
    "alg_none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64({"username": "admin"}) + ".",
    "other_alg": _b64({"alg": "RS256", "typ": "JWT"})
    + "."
    + _b64({"username": "admin", "exp_date": 1})
    + ".x",
    "odd_claims": jwt.encode({"username": ["admin"], "exp_date": "soon"}, DEMO_COOKIE_KEY),
    "random_token": "A" * 43 + ".bm90LWEtbWFj",
    "garbage": "%%%not-a-cookie%%%",
}


@pytest.mark.parametrize("kind", sorted(FORGED))
def test_a_forged_or_malformed_cookie_shows_the_sign_in(
    app_server: Server, new_page: NewPage, kind: str
) -> None:
    page = _open_with_cookie(new_page, app_server, FORGED[kind])
    assert _shows_sign_in(page)
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_cookie_replayed_after_sign_out_is_refused(app_server: Server, new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, app_server.url, "analyst")
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    # The cookie works while the session lives (a second browser with a copy of it).
    other = _open_with_cookie(new_page, app_server, cookie)
    other.get_by_role("heading", name="Transactions").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Sign out").click()
    page.locator(".st-key-sign_in_username input").wait_for()
    replay = _open_with_cookie(new_page, app_server, cookie)
    assert _shows_sign_in(replay)


def test_a_streamlit_session_id_alone_does_not_take_over_a_signed_in_session(
    app_server: Server, new_page: NewPage
) -> None:
    page = new_page()
    ids: list[str] = []

    def on_socket(ws: Any) -> None:
        def on_frame(payload: Any) -> None:
            if isinstance(payload, bytes) and (sid := session_id_of(payload)):
                ids.append(sid)

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    sign_in(page, app_server.url, "admin")
    assert ids, "the browser's Streamlit session id was not seen"
    victim_session = ids[-1]
    attacker = run_script(app_server.url, session_id=victim_session, origin=app_server.url)
    assert attacker.session_id != victim_session  # the server does not resume sessions by id ...
    assert attacker.shows("Username")  # ... and the run shows only the sign-in
    assert not attacker.shows("Operation History") and not attacker.shows("admin · role")
