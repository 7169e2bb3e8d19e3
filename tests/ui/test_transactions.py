"""Transactions: filters in SQL and the URL, paging, counting, opening, exporting."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import insert

from bo_core.db.models import TransactionRow
from bo_core.services.context import Context
from tests.factories import add_tx, add_user
from tests.ui.conftest import AppFactory, export_text, plain


def uuids(at) -> list[str]:  # type: ignore[no-untyped-def]
    return list(at.dataframe[0].value["UUID"]) if at.dataframe else []


def test_rows_show_formatted_amounts_and_status_badges(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    add_tx(ui_ctx, "DB", 1_234_567, "JPY")
    add_tx(ui_ctx, "PA", 1_050, "EUR", result_code="800.100.151")
    add_tx(ui_ctx, "DB", 12_345, "BHD")
    at = app(viewer)
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(frame["Amount"]) == {"1,234,567 JPY", "10.50 EUR", "12.345 BHD"}
    assert set(frame["Status"]) == {"🟢 Success", "🔴 Rejected"}
    assert "**3** matching transactions" in [m.value for m in at.markdown]


def test_filters_come_from_the_url_and_run_in_sql(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    pa = add_tx(ui_ctx, "PA", 5_000, merchant="vela-bikes")
    add_tx(ui_ctx, "DB", 5_000, merchant="vela-bikes")
    add_tx(ui_ctx, "PA", 5_000, merchant="other-shop")
    at = app(viewer, type="Pre-Authorization", merchant="vela-bikes")  # bound widgets use labels
    assert uuids(at) == [pa]
    assert at.multiselect(key="type").value == ["PA"]


def test_changing_a_filter_narrows_the_rows(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    small = add_tx(ui_ctx, "DB", 500)
    add_tx(ui_ctx, "DB", 50_000)
    at = app(viewer)
    at.text_input(key="max").input("10.00").run()
    assert uuids(at) == [small]


def test_free_text_finds_a_transaction_by_its_id(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    wanted = add_tx(ui_ctx, transaction_id="ORD-WANTED")
    add_tx(ui_ctx, transaction_id="ORD-OTHER")
    at = app(viewer)
    at.text_input(key="q").input("ORD-WANTED").run()
    assert uuids(at) == [wanted]


def test_time_presets_limit_the_period(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    recent = add_tx(ui_ctx)
    old = add_tx(ui_ctx, created_at=ui_ctx.now() - timedelta(days=3))
    at = app(viewer, period="Last 24 hours")
    assert uuids(at) == [recent]
    at.selectbox(key="period").select("7d").run()
    assert set(uuids(at)) == {recent, old}


def test_a_bad_filter_shows_a_message_instead_of_rows(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    add_tx(ui_ctx)
    at = app(viewer, min="-5")
    assert not at.exception
    assert "Minimum amount" in plain(at.error[0].value)
    assert not at.dataframe


def test_pages_move_forward_and_back_with_the_page_number(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    for i in range(55):
        add_tx(ui_ctx, created_at=ui_ctx.now() - timedelta(minutes=i + 1))
    at = app(viewer)
    first = uuids(at)
    assert len(first) == 50 and "Page **1** of 2" in [m.value for m in at.markdown]
    at.button(key="page_next").click().run()
    second = uuids(at)
    assert len(second) == 5 and not set(first) & set(second)
    assert at.query_params["page"] == "2"
    assert at.button(key="page_next").disabled
    at.button(key="page_prev").click().run()
    assert uuids(at) == first


def test_selecting_a_row_opens_its_details(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    add_tx(ui_ctx, "DB", 100)
    target = add_tx(ui_ctx, "PA", 7_700, created_at=ui_ctx.now() - timedelta(hours=2))
    at = app(viewer)
    row = uuids(at).index(target)
    at.session_state["tx_grid"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert plain(at.title[0].value) == "Pre-Authorization · 77.00 EUR"
    assert at.query_params["uuid"] == target


def test_each_row_has_a_keyed_button_that_opens_it(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    target = add_tx(ui_ctx, "DB", 4_200)
    at = app(viewer)
    at.button(key=f"open_{target}").click().run()
    assert plain(at.title[0].value) == "Debit · 42.00 EUR"


def test_export_prepares_a_csv_of_every_match(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    for _ in range(3):
        add_tx(ui_ctx, "DB")
    add_tx(ui_ctx, "PA")
    at = app(viewer, type="Debit")
    at.button(key="export_prepare").click().run()
    assert not at.exception
    assert "Download 3 transactions" in at.get("html")[0].proto.body
    assert export_text(at).count("\n") == 4  # header + 3 rows


def test_a_large_count_is_shown_as_capped(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    stamp = ui_ctx.now() - timedelta(hours=1)
    rows = [
        {
            "uuid": uuid4().hex,
            "transaction_id": f"BULK-{i}",
            "type": "DB",
            "amount_minor": 100,
            "currency": "EUR",
            "result_code": "000.000.000",
            "result_description": "Transaction succeeded",
            "status": "success",
            "merchant": "bulk-shop",
            "channel": "web",
            "payment_method": "CC",
            "brand": "VISA",
            "created_at": stamp,
            "source": "gateway",
        }
        for i in range(10_001)
    ]
    with ui_ctx.db.uow(write=True) as uow:
        uow.session.execute(insert(TransactionRow), rows)
        uow.commit()
    at = app(viewer)
    assert "**10,000+** matching transactions" in [m.value for m in at.markdown]
    assert len(uuids(at)) == 50
