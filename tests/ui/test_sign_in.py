"""Sign-in, sessions and the production-mode start checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bo_core.config import get_settings
from bo_core.db.security_models import SessionRow
from bo_core.domain.authorization import SYSTEM
from bo_core.services import users
from bo_core.services.context import Context
from bo_web.auth import DEMO_COOKIE_KEY
from tests.factories import PASSWORD, add_tx, add_user
from tests.ui.conftest import COOKIE_KEY, AppFactory, plain

PAGES = ["pages/transactions.py", "pages/details.py", "pages/history.py", "pages/users.py"]


def shows_only_sign_in(at) -> bool:  # type: ignore[no-untyped-def]
    labels = [t.label for t in at.text_input]
    return (
        not at.exception
        and labels == ["Username", "Password"]
        and not at.dataframe
        and "sign_out" not in [b.key for b in at.button]
        and [t.value for t in at.title] == ["bo · payments back office"]
    )


def sign_in(at, username: str, password: str):  # type: ignore[no-untyped-def]
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return at.button[0].click().run()


def test_unauthenticated_session_sees_only_the_sign_in(app: AppFactory, ui_ctx: Context) -> None:
    add_tx(ui_ctx)
    assert shows_only_sign_in(app())


@pytest.mark.parametrize("page", PAGES)
def test_opening_a_page_directly_without_signing_in_shows_only_the_sign_in(
    app: AppFactory, ui_ctx: Context, page: str
) -> None:
    uuid = add_tx(ui_ctx)
    at = app(None, page=page, uuid=uuid)
    assert shows_only_sign_in(at)
    assert uuid not in str([m.value for m in at.markdown])


def test_signing_in_with_the_right_password_opens_the_transactions(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "viewer", "vera")
    add_tx(ui_ctx)
    at = sign_in(app(), "vera", PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["Transactions"]
    assert at.session_state["username"] == "vera"
    assert "sign_out" in [b.key for b in at.button]


def test_a_wrong_password_is_refused_and_counted_in_the_database(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "viewer", "vera")
    at = app()
    for _ in range(ui_ctx.settings.lockout_attempts):
        at = sign_in(at, "vera", "not the password at all")
        message = plain(at.error[0].value)
        assert "Username or password is incorrect" in message or "locked" in message
    assert users.is_locked(ui_ctx, "vera")
    at = sign_in(at, "vera", PASSWORD)
    assert "locked" in plain(at.error[0].value)
    assert shows_only_sign_in(at)


def test_unknown_usernames_are_throttled_too(app: AppFactory, ui_ctx: Context) -> None:
    at = app()
    for _ in range(ui_ctx.settings.lockout_attempts):
        at = sign_in(at, "nobody", "whatever-password")
    assert users.is_locked(ui_ctx, "nobody")


def test_locked_users_are_left_out_of_the_authenticator_credentials(ui_ctx: Context) -> None:
    add_user(ui_ctx, "viewer", "vera")
    add_user(ui_ctx, "viewer", "otto")
    users.disable_user(ui_ctx, "otto", actor=SYSTEM)
    assert set(users.authenticator_credentials(ui_ctx)["usernames"]) == {"vera"}
    for _ in range(ui_ctx.settings.lockout_attempts):
        with pytest.raises(Exception, match="incorrect"):
            users.authenticate(ui_ctx, "vera", "wrong password!!")
    assert users.authenticator_credentials(ui_ctx)["usernames"] == {}


def test_a_disabled_user_loses_the_open_session(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "analyst", "ann")
    at = app("ann")
    assert [t.value for t in at.title] == ["Transactions"]
    users.disable_user(ui_ctx, "ann", actor=SYSTEM)
    at.run()
    assert shows_only_sign_in(at)
    assert "disabled" in plain(at.warning[0].value)


def test_signing_out_returns_to_the_sign_in(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "viewer", "vera")
    at = app("vera")
    at.button(key="sign_out").click().run()
    assert shows_only_sign_in(at)
    assert plain(at.info[0].value) == "You are signed out."


def test_sidebar_shows_name_role_and_sign_out(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "manager", "max")
    at = app("max")
    assert "**Max**" in [m.value for m in at.sidebar.markdown]
    assert "max · role: manager" in [c.value for c in at.sidebar.caption]
    assert at.sidebar.button(key="sign_out")


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("viewer", ["Transactions", "Approvals", "My account"]),
        ("analyst", ["Transactions", "Approvals", "Bulk operations", "Bulk runs", "My account"]),
        (
            "manager",
            [
                "Transactions",
                "Approvals",
                "Operation History",
                "Bulk operations",
                "Bulk runs",
                "Risk",
                "My account",
            ],
        ),
        (
            "admin",
            [
                "Transactions",
                "Approvals",
                "Operation History",
                "Bulk operations",
                "Bulk runs",
                "Risk",
                "Users",
                "Security events",
                "My account",
            ],
        ),
    ],
)
def test_sidebar_links_follow_the_role(app: AppFactory, ui_ctx: Context, role: str, links: list[str]) -> None:
    at = app(add_user(ui_ctx, role))
    assert [link.proto.label for link in at.sidebar.get("page_link")] == links


def test_demo_mode_loads_demo_data_and_states_the_demo_credentials(
    app: AppFactory, ui_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BO_DEMO_MODE", "1")
    monkeypatch.delenv("BO_COOKIE_KEY")
    get_settings.cache_clear()
    at = app()
    assert shows_only_sign_in(at)
    assert "demo-admin-pass" in plain(at.info[0].value)
    assert {u.username for u in users.list_users(ui_ctx, actor=SYSTEM)} >= {
        "viewer",
        "analyst",
        "manager",
        "admin",
    }
    at = sign_in(at, "admin", "demo-admin-pass")
    assert [t.value for t in at.title] == ["Transactions"]
    assert at.dataframe[0].value.shape[0] > 0


def test_production_sign_in_does_not_mention_demo_credentials(app: AppFactory, ui_ctx: Context) -> None:
    at = app()
    assert shows_only_sign_in(at)
    assert not at.info


def refused(at) -> bool:  # type: ignore[no-untyped-def]
    return (
        len(at.error) == 1
        and "refuses to start" in plain(at.error[0].value)
        and not at.text_input
        and not at.button
        and not at.title
    )


def test_production_mode_refuses_to_start_without_a_cookie_key(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BO_COOKIE_KEY")
    at = app()
    assert refused(at)
    assert "No cookie key" in plain(at.error[0].value)


@pytest.mark.parametrize(
    "key",
    [
        "some_key",
        DEMO_COOKIE_KEY,
        "short-but-random-4f9a",
        "replace-me-with-at-least-32-random-characters",
        "a" * 64,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "correct horse battery staple correct horse battery staple",
    ],
)
def test_production_mode_refuses_a_default_or_short_cookie_key(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("BO_COOKIE_KEY", key)
    at = app()
    assert refused(at)
    assert "guessable" in plain(at.error[0].value)


def test_production_mode_refuses_to_start_while_demo_users_exist(app: AppFactory, ui_ctx: Context) -> None:
    users.create_user(ui_ctx, "viewer", "viewer", "demo-viewer-pass", demo=True, actor=SYSTEM)
    at = app("viewer")
    assert refused(at)
    assert "demo users" in plain(at.error[0].value)


def test_production_mode_refuses_on_every_page_opened_directly(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch, ui_ctx: Context
) -> None:
    add_user(ui_ctx, "admin", "ada")
    monkeypatch.setenv("BO_COOKIE_KEY", "some_key")
    for page in PAGES:
        assert refused(app("ada", page=page))


def test_cookie_key_from_secrets_is_used(app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import ROOT

    monkeypatch.delenv("BO_COOKIE_KEY")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {"cookie_key": COOKIE_KEY[::-1]}
    at.run()
    assert not at.error
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {"cookie_key": "some_key"}
    at.run()
    assert refused(at)


def test_a_session_ends_after_the_configured_lifetime(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "viewer", "vera")
    at = app("vera")
    assert [t.value for t in at.title] == ["Transactions"]
    with ui_ctx.db.uow(write=True) as uow:  # the lifetime lives on the server
        uow.session.execute(update(SessionRow).values(expires_at=ui_ctx.now() - timedelta(seconds=1)))
        uow.commit()
    at.run()
    assert shows_only_sign_in(at)
    assert "expired" in plain(at.info[0].value)


def test_a_role_change_ends_the_open_session(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "analyst", "ann")
    uuid = add_tx(ui_ctx, "PA")
    at = app("ann", page="pages/details.py", uuid=uuid)
    assert at.button(key="op_capture")
    users.set_role(ui_ctx, "ann", "viewer", actor=SYSTEM)
    at.run()
    assert shows_only_sign_in(at)
    assert "op_capture" not in [b.key for b in at.button]


def test_the_start_checks_read_the_database_once_per_session_not_on_every_run(
    app: AppFactory, ui_ctx: Context
) -> None:
    add_user(ui_ctx, "admin", "ada")
    at = app("ada")
    assert [t.value for t in at.title] == ["Transactions"]
    # Demo users appearing later are not looked for again in this session ...
    users.create_user(ui_ctx, "viewer", "viewer", "demo-viewer-pass", demo=True, actor=SYSTEM)
    at.run()
    assert [t.value for t in at.title] == ["Transactions"]
    # ... but every new session checks before serving anything.
    assert refused(app("ada"))
