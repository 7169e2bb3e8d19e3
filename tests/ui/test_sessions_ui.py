"""The dashboard trusts only live server-side sessions (AppTest; the browser attacks are in tests/e2e)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bo_core.security import sessions
from bo_core.services.context import Context
from bo_web import websession
from tests.factories import PASSWORD, add_user
from tests.ui.conftest import COOKIE_KEY, ROOT, AppFactory, plain
from tests.ui.test_sign_in import shows_only_sign_in, sign_in


def test_session_state_from_another_connection_is_worth_nothing(ui_ctx: Context) -> None:
    """A reconnection with a Streamlit session id but without the cookie (another websocket)."""
    add_user(ui_ctx, "admin", "ada")
    token = sessions.issue(ui_ctx, "ada", method="password", mfa_done=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["_bo_web_session"] = {
        "cookie": sessions.sign(token, COOKIE_KEY),
        "conn": "websocket-key-of-the-victims-connection",
    }
    at.session_state["authentication_status"] = True  # what the old code trusted
    at.session_state["username"] = "ada"
    at.run()
    assert shows_only_sign_in(at)


def test_signing_in_creates_a_server_session_and_signing_out_ends_it(
    app: AppFactory, ui_ctx: Context
) -> None:
    add_user(ui_ctx, "viewer", "vera")
    at = sign_in(app(), "vera", PASSWORD)
    assert [t.value for t in at.title] == ["Transactions"]
    assert len(sessions.live_sessions(ui_ctx, "vera")) == 1
    cookie = at.session_state["_bo_web_session"]["cookie"]
    at.button(key="sign_out").click().run()
    assert shows_only_sign_in(at)
    assert sessions.live_sessions(ui_ctx, "vera") == []
    token = sessions.unsign(cookie, COOKIE_KEY)
    assert token and sessions.validate(ui_ctx, token) == sessions.Refusal("sign_out")


@pytest.mark.parametrize(
    "cookie",
    [
        "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImFkYSIsImV4cF9kYXRlIjozMjUwMzY4MDAwMH0.",
        "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VybmFtZSI6WyJhZGEiXX0.c2ln",
        "\x00\xff" * 10,
    ],
)
def test_a_malformed_cookie_in_the_request_shows_the_sign_in(
    app: AppFactory, ui_ctx: Context, monkeypatch: pytest.MonkeyPatch, cookie: str
) -> None:
    add_user(ui_ctx, "admin", "ada")
    monkeypatch.setattr(websession, "request_cookies", lambda: {websession.COOKIE_NAME: cookie})
    at = app()
    assert shows_only_sign_in(at)


def test_a_live_cookie_in_the_request_signs_in_and_a_sign_out_elsewhere_ends_it(
    app: AppFactory, ui_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(ui_ctx, "viewer", "vera")
    token = sessions.issue(ui_ctx, "vera", method="password")
    cookie = sessions.sign(token, COOKIE_KEY)
    monkeypatch.setattr(websession, "request_cookies", lambda: {websession.COOKIE_NAME: cookie})
    at = app()
    assert [t.value for t in at.title] == ["Transactions"]
    sessions.end(ui_ctx, token, "sign_out")  # signed out in another tab, on another replica
    at.run()
    assert shows_only_sign_in(at)


def test_demo_mode_refuses_a_database_with_real_users(
    app: AppFactory, ui_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bo_core.config import get_settings
    from bo_core.services import users

    add_user(ui_ctx, "admin", "ada")
    monkeypatch.setenv("BO_DEMO_MODE", "1")
    get_settings.cache_clear()
    at = app()
    assert "refuses to start in demo mode" in plain(at.error[0].value)
    assert not at.text_input
    assert not users.demo_users_exist(ui_ctx)
