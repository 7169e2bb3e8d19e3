"""The Security events page (security:events, admins by default); the web's records name the session."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from bo_core.db.security_models import SecurityEvent
from bo_core.domain.authorization import SYSTEM
from bo_core.services import users
from bo_core.services.context import Context
from tests.factories import add_user
from tests.ui.conftest import ROOT, AppFactory, plain, sign_in_as

PAGE = "pages/security_events.py"


def _kinds(at) -> list[str]:  # type: ignore[no-untyped-def]
    return list(at.dataframe[0].value["Kind"])


def test_an_admin_reads_and_filters_the_security_events(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin", "ada")
    add_user(ui_ctx, "viewer", "vera")
    users.disable_user(ui_ctx, "vera", actor=SYSTEM)
    at = app(admin, page=PAGE)
    assert not at.exception and [t.value for t in at.title] == ["Security events"]
    assert {"user_created", "scope_assigned", "user_disabled"} <= set(_kinds(at))
    at.selectbox(key="sec_kind").set_value("user_disabled").run()
    assert _kinds(at) == ["user_disabled"]
    assert list(at.dataframe[0].value["Target"]) == ["vera"]
    at.selectbox(key="sec_kind").set_value("All kinds").run()
    at.text_input(key="sec_user").set_value("ada").run()
    assert set(at.dataframe[0].value["Target"]) == {"ada"}
    at.text_input(key="sec_user").set_value("nobody-at-all").run()
    assert not at.dataframe and "No security event" in plain(at.info[0].value)


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_other_roles_have_no_security_events_page(app: AppFactory, ui_ctx: Context, role: str) -> None:
    from streamlit.testing.v1 import AppTest

    username = add_user(ui_ctx, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(username, page=PAGE)
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    sign_in_as(at, ui_ctx, username)
    at.run()
    assert "does not give access" in plain(at.error[0].value) and not at.dataframe


def test_a_change_made_on_the_web_names_the_channel_and_the_session(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin")
    add_user(ui_ctx, "viewer", "vera")
    at = app(admin, page="pages/users.py")
    token = at.session_state["_bo_web_session"]["cookie"].split(".")[0]
    at.selectbox(key="target_user").set_value("vera").run()
    at.button(key="disable_user").click().run()
    assert not at.exception
    with ui_ctx.db.uow() as uow:
        event = uow.session.execute(
            select(SecurityEvent).where(SecurityEvent.kind == "user_disabled")
        ).scalar_one()
        assert (event.actor, event.username, event.channel) == (admin, "vera", "web")
        assert event.session_ref == hashlib.sha256(token.encode()).hexdigest()[:16]


def test_production_refuses_to_start_without_the_audit_key(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BO_AUDIT_KEY")
    at = app()
    assert len(at.error) == 1 and "BO_AUDIT_KEY" in plain(at.error[0].value)
    assert "refuses to start" in plain(at.error[0].value) and not at.text_input
