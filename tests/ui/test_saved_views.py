"""Transactions: column chooser (table and export), saved views, default view, shared link."""

from __future__ import annotations

import io

import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.services import search, views
from bo_core.services.context import Context
from tests.factories import add_tx, add_user
from tests.ui.conftest import AppFactory, export_text

PAGE = "pages/transactions.py"


def test_chosen_columns_set_the_table_and_the_export_in_their_order(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    add_tx(ui_ctx, "DB")
    at = app(viewer, page=PAGE)
    assert list(at.dataframe[0].value.columns)[:3] == ["Created (UTC)", "Type", "Status"]
    at.multiselect(key="cols").set_value(["UUID", "Amount"]).run()
    assert list(at.dataframe[0].value.columns) == ["UUID", "Amount"]
    at.button(key="export_prepare").click().run()
    data = export_text(at)
    assert data.splitlines()[0] == "uuid,amount,currency"


def test_saving_the_current_search_then_opening_it_as_the_default(app: AppFactory, ui_ctx: Context) -> None:
    analyst = add_user(ui_ctx, "analyst")
    add_tx(ui_ctx, "DB")
    add_tx(ui_ctx, "CP")
    at = app(analyst, page=PAGE)
    at.multiselect(key="type").set_value(["CP"]).run()
    at.multiselect(key="cols").set_value(["Type", "UUID"]).run()
    at.text_input(key="view_name").input("Captures").run()
    at.button(key="view_save").click().run()
    (saved,) = views.list_views(ui_ctx, actor=analyst)
    assert (
        saved.name == "Captures"
        and saved.params["type"] == ["CP"]
        and saved.params["cols"] == ["Type", "UUID"]
    )
    views.set_default(ui_ctx, saved.id, actor=analyst)

    fresh = app(analyst, page=PAGE)  # a new session opens the default view
    assert fresh.multiselect(key="type").value == ["CP"]
    assert list(fresh.dataframe[0].value.columns) == ["Type", "UUID"]
    assert list(fresh.dataframe[0].value["Type"]) == ["Capture"]


def test_a_shared_link_opens_read_only_for_another_user(app: AppFactory, ui_ctx: Context) -> None:
    owner, other = add_user(ui_ctx, "analyst"), add_user(ui_ctx, "viewer")
    add_tx(ui_ctx, "DB")
    add_tx(ui_ctx, "CP")
    shared = views.save_view(ui_ctx, "Debits", {"type": ["DB"]}, actor=owner, visibility="link")
    private = views.save_view(ui_ctx, "Secret", {"type": ["CP"]}, actor=owner)
    at = app(other, page=PAGE, view=shared.id)
    assert at.multiselect(key="type").value == ["DB"]
    assert list(at.dataframe[0].value["Type"]) == ["Debit"]
    denied = app(other, page=PAGE, view=private.id)
    assert denied.error and "No such saved view" in denied.error[0].value
    assert denied.multiselect(key="type").value == []


def test_the_export_refuses_unknown_columns(ui_ctx: Context) -> None:
    with pytest.raises(InputError):
        search.export_csv(
            ui_ctx, search.parse_filters(), io.StringIO(), actor=SYSTEM, columns=["password_hash"]
        )
