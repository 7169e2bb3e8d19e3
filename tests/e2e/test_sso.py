"""Single sign-on in Chromium against a real OpenID Connect provider on the loopback.

The person clicks "Sign in with single sign-on", types their subject into the provider's own
login form, and comes back to bo signed in as the bo user the identity maps to, with the role
the provider's claim gives them at that sign-in. An identity bo does not know is refused.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from bo_core.domain.authorization import SYSTEM
from bo_core.security import events, sso
from bo_core.services import users
from tests.conftest import make_context
from tests.e2e.conftest import FIRST_VIEW_TIMEOUT_MS, START_TIMEOUT, VIEWPORT, NewPage, Server, settle
from tests.e2e.sso_support import ROLE_CLAIM, oidc_provider, set_claims, sso_app
from tests.factories import add_user

pytestmark = pytest.mark.e2e

SIDEBAR = "[data-testid=stSidebar]"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider() as url:
        yield url


@pytest.fixture(scope="module")
def sso_server(
    tmp_path_factory: pytest.TempPathFactory, chromium: Browser, provider: str
) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp("e2e-sso")
    database_url = f"sqlite:///{workdir / 'bo.sqlite3'}"
    ctx = make_context(database_url)
    try:
        with sso_app(workdir, database_url, provider) as url:
            warm = chromium.new_context(viewport=VIEWPORT)
            warm.new_page().goto(url)
            warm.pages[0].get_by_role("button", name="Sign in with single sign-on").wait_for(
                timeout=START_TIMEOUT * 1000
            )
            warm.close()
            yield Server(url, ctx, workdir / "streamlit.log")
    finally:
        ctx.db.dispose()


def _sign_in_at_provider(page: Page, base_url: str, sub: str) -> None:
    page.goto(base_url)
    button = page.get_by_role("button", name="Sign in with single sign-on")
    button.wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    button.click()
    page.get_by_placeholder("sub").fill(sub)  # the provider's own login form
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base_url}/**")


def _signed_in_as(page: Page, username: str, role: str) -> None:
    page.locator(SIDEBAR).get_by_text(f"{username} · role: {role}").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    page.get_by_role("heading", name="Transactions").wait_for()
    settle(page)


def test_a_provisioned_user_signs_in_through_the_provider_and_the_role_claim_decides(
    sso_server: Server, provider: str, new_page: NewPage
) -> None:
    ctx = sso_server.ctx
    username = f"sso-{uuid.uuid4().hex[:6]}"
    sub = f"{username}@corp.example"
    add_user(ctx, "viewer", username)
    set_claims(provider, sub, preferred_username=username, name="Sam Single", **{ROLE_CLAIM: ["bo-analysts"]})

    page = new_page()
    _sign_in_at_provider(page, sso_server.url, sub)
    _signed_in_as(page, username, "analyst")
    assert users.get_user(ctx, username, actor=SYSTEM).role == "analyst"

    # Sign-out ends the bo session and the provider's (its end-session page), then bo's sign-in page.
    page.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    page.get_by_role("button", name="Sign in with single sign-on").wait_for()
    kinds = [(e.kind, e.detail) for e in events.list_security_events(ctx, username=username)]
    assert (events.SIGN_IN, "sso") in kinds
    assert (events.SIGN_OUT, "sign_out") in kinds

    # The provider now says "manager": the next sign-in makes the person a manager in bo.
    set_claims(provider, sub, preferred_username=username, name="Sam Single", **{ROLE_CLAIM: ["bo-managers"]})
    _sign_in_at_provider(page, sso_server.url, sub)
    _signed_in_as(page, username, "manager")
    page.locator(SIDEBAR).get_by_role("link", name="Operation History").wait_for()
    changed = [
        e.detail
        for e in events.list_security_events(ctx, username=username)
        if e.kind == sso.SSO_ROLE_CHANGED
    ]
    assert changed[::-1] == [  # listed newest first
        f"viewer -> analyst (claim {ROLE_CLAIM})",
        f"analyst -> manager (claim {ROLE_CLAIM})",
    ]


def test_an_identity_that_is_not_a_bo_user_is_refused(
    sso_server: Server, provider: str, new_page: NewPage
) -> None:
    stranger = f"stranger-{uuid.uuid4().hex[:6]}"
    set_claims(provider, stranger, preferred_username=stranger, **{ROLE_CLAIM: ["bo-managers"]})
    page = new_page()
    _sign_in_at_provider(page, sso_server.url, stranger)
    page.get_by_text("Your account is not a bo user").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    assert page.locator(SIDEBAR).count() == 0 or "role:" not in page.locator(SIDEBAR).inner_text()
    refused = [e for e in events.list_security_events(sso_server.ctx, username=stranger)]
    assert [(e.kind, e.detail) for e in refused] == [(events.SSO_REFUSED, "unknown user")]


def test_a_disabled_bo_user_is_refused_although_the_provider_vouches(
    sso_server: Server, provider: str, new_page: NewPage
) -> None:
    ctx = sso_server.ctx
    username = f"gone-{uuid.uuid4().hex[:6]}"
    add_user(ctx, "analyst", username)
    users.disable_user(ctx, username, actor=SYSTEM)
    set_claims(provider, username, preferred_username=username, **{ROLE_CLAIM: ["bo-analysts"]})
    page = new_page()
    _sign_in_at_provider(page, sso_server.url, username)
    page.get_by_text("This account is disabled").wait_for(timeout=FIRST_VIEW_TIMEOUT_MS)
    assert events.SSO_REFUSED in [e.kind for e in events.list_security_events(ctx, username=username)]


def test_the_app_is_ready_with_single_sign_on_configured(sso_server: Server) -> None:
    with urllib.request.urlopen(f"{sso_server.url}/readyz", timeout=30) as answer:
        assert answer.status == 200
        assert json.loads(answer.read()) == {"ready": True, "problems": []}
