"""The sign-in page with single sign-on configured: the provider's button, and a refusal to
start on a guessable identity-cookie secret or a malformed ``BO_SSO_*`` setting."""

from __future__ import annotations

import secrets

import pytest
from streamlit.testing.v1 import AppTest

from bo_core.services.context import Context
from tests.ui.conftest import ROOT, TIMEOUT, plain


def _app(auth: dict[str, str] | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if auth is not None:
        at.secrets["auth"] = auth
    at.run()
    return at


def _auth(cookie_secret: str) -> dict[str, str]:
    return {
        "redirect_uri": "https://bo.example.com/oauth2callback",
        "cookie_secret": cookie_secret,
        "client_id": "bo",
        "client_secret": secrets.token_urlsafe(24),
        "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
    }


def _sso_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button if str(b.key).startswith("sso_sign_in_")]


def test_a_configured_provider_is_offered_beside_the_password_form(ui_ctx: Context) -> None:
    at = _app(_auth(secrets.token_urlsafe(48)))
    assert not at.exception and not at.error
    assert _sso_buttons(at) == ["Sign in with single sign-on"]
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # local passwords stay


def test_without_a_provider_no_single_sign_on_is_offered(ui_ctx: Context) -> None:
    at = _app(None)
    assert not at.exception and _sso_buttons(at) == []


def test_a_guessable_identity_cookie_secret_refuses_to_start(ui_ctx: Context) -> None:
    at = _app(_auth("streamlit-cookie-secret-123456789"))
    assert len(at.error) == 1 and "refuses to start" in plain(at.error[0].value)
    assert "cookie_secret" in plain(at.error[0].value)
    assert not at.button and not at.text_input


def test_a_malformed_sso_setting_refuses_to_start_naming_it(
    ui_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BO_SSO_ROLES", "ops=superuser")
    at = _app(_auth(secrets.token_urlsafe(48)))
    assert len(at.error) == 1 and "BO_SSO_ROLES" in plain(at.error[0].value)
