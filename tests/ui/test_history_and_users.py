"""Operation History (managers and admins) and user administration (admins)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bo_core.domain.authorization import SYSTEM
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import PASSWORD, add_tx, add_user, reason_for
from tests.ui.conftest import ROOT, AppFactory, plain, sign_in_as

HISTORY = "pages/history.py"
USERS = "pages/users.py"


def refused_page(at) -> bool:  # type: ignore[no-untyped-def]
    return bool(at.error) and "does not give access" in plain(at.error[0].value) and not at.dataframe


def signed_in_page_file(page: str, username: str, ctx: Context) -> AppTest:
    """Run a page file on its own, as a fresh server does for a direct URL."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    sign_in_as(at, ctx, username)
    return at.run()


def charts(at: AppTest) -> list[object]:
    return [e for e in at.main.get("vega_lite_chart")]


def book(ctx: Context, username: str, operation: str, parent: str, amount: str | None) -> None:
    run_operation(
        ctx, OperationRequest(operation, parent, username, amount=amount, reason=reason_for(operation))
    )


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_non_managers_have_no_history_page(app: AppFactory, ui_ctx: Context, role: str) -> None:
    username = add_user(ui_ctx, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(username, page=HISTORY)
    assert refused_page(signed_in_page_file(HISTORY, username, ui_ctx))


@pytest.mark.parametrize("role", ["viewer", "analyst", "manager"])
def test_only_admins_reach_user_administration(app: AppFactory, ui_ctx: Context, role: str) -> None:
    username = add_user(ui_ctx, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(username, page=USERS)
    assert refused_page(signed_in_page_file(USERS, username, ui_ctx))


def test_admins_navigation_has_every_page(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin")
    for page in ("pages/transactions.py", HISTORY, USERS):
        assert not app(admin, page=page).exception


def test_history_totals_charts_and_table_for_a_manager(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    analyst = add_user(ui_ctx, "analyst", "ari")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, analyst, "refund", db, "30.00")
    book(ui_ctx, analyst, "refund", db, "500.00")  # refused: over the refundable amount
    book(ui_ctx, manager, "chargeback", db, "20.00")
    at = app(manager, page=HISTORY)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Attempts"] == "3" and metrics["Successful"] == "2" and metrics["Refused"] == "1"
    assert len(charts(at)) == 5  # per day, amounts per currency, refusals by reason and role, per user
    table = at.dataframe[0].value
    assert len(table) == 3
    assert set(table["User"]) == {"mia", "ari"}
    assert "🔴 Refused" in set(table["Outcome"])


def test_history_filters_by_outcome_and_user(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    analyst = add_user(ui_ctx, "analyst", "ari")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, analyst, "refund", db, "30.00")
    book(ui_ctx, analyst, "refund", db, "500.00")
    book(ui_ctx, manager, "refund", db, "1.00")
    at = app(manager, page=HISTORY)
    at.selectbox(key="h_outcome").select("refused").run()
    assert {m.label: m.value for m in at.metric}["Attempts"] == "1"
    at.selectbox(key="h_outcome").select("").run()
    at.selectbox(key="h_user").select("mia").run()
    assert list(at.dataframe[0].value["User"]) == ["mia"]


def test_history_export_offers_a_csv_of_the_filtered_attempts(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, manager, "refund", db, "3.00")
    at = app(manager, page=HISTORY)
    at.button(key="h_export_prepare").click().run()
    assert not at.exception
    assert "Download 1 attempts" in at.get("html")[0].proto.body


def test_the_transaction_details_list_its_own_operation_history(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    analyst = add_user(ui_ctx, "analyst")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, analyst, "refund", db, "999.00")
    at = app(viewer, page="pages/details.py", uuid=db)
    history_table = at.dataframe[-1].value
    assert list(history_table["Result code"]) == ["700.400.200"]


def test_admin_creates_a_user_who_can_then_sign_in(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin", "ada")
    at = app(admin, page=USERS)
    at.text_input(key="new_username").input("nina")
    at.text_input(key="new_name").input("Nina Novak")
    at.selectbox(key="new_role").select("analyst")
    at.text_input(key="new_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert plain(at.success[0].value) == "User nina created."
    assert users.authenticate(ui_ctx, "nina", PASSWORD).role == "analyst"


def test_admin_sees_a_clear_message_for_a_weak_password(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin", "ada")
    at = app(admin, page=USERS)
    at.text_input(key="new_username").input("nina")
    at.text_input(key="new_password").input("short")
    at.button[0].click().run()
    assert "Password: must be at least" in plain(at.error[0].value)
    assert [u.username for u in users.list_users(ui_ctx, actor=SYSTEM)] == ["ada"]


def test_admin_changes_a_role_and_disables_a_user(app: AppFactory, ui_ctx: Context) -> None:
    admin = add_user(ui_ctx, "admin", "ada")
    add_user(ui_ctx, "viewer", "vic")
    at = app(admin, page=USERS)
    at.selectbox(key="target_user").select("vic")
    at.selectbox(key="target_role").select("manager")
    at.button(key="set_role").click().run()
    assert users.get_user(ui_ctx, "vic", actor=SYSTEM).role == "manager"
    at.button(key="disable_user").click().run()
    assert users.get_user(ui_ctx, "vic", actor=SYSTEM).active is False
    assert at.button(key="enable_user")
