"""Transaction Details: summary, operation buttons per role, the operation dialog."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bo_core.services.context import Context
from bo_core.services.show import show_transaction
from tests.factories import add_tx, add_user
from tests.rows import audit_count, children
from tests.ui.conftest import AppFactory, plain

DETAILS = "pages/details.py"


def submit(at: AppTest, reason: str | None = None) -> None:
    """Commit the typed fields (the button then names the amount), then press the submit button."""
    if reason is not None:
        at.selectbox(key="op_reason").select(reason)
    at.run()
    at.button(key="op_submit").click().run()


def op_buttons(at) -> set[str]:  # type: ignore[no-untyped-def]
    return {b.key.removeprefix("op_") for b in at.button if b.key and b.key.startswith("op_")}


def open_details(app: AppFactory, username: str, uuid: str):  # type: ignore[no-untyped-def]
    at = app(username, page=DETAILS, uuid=uuid)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("role", "tx_type", "expected"),
    [
        ("viewer", "PA", set()),
        ("viewer", "DB", set()),
        ("analyst", "PA", {"capture", "reversal"}),
        ("analyst", "DB", {"rebill", "refund"}),
        ("manager", "DB", {"rebill", "refund", "chargeback"}),
        ("admin", "CB", {"chargeback_reversal"}),
        ("admin", "RF", set()),
    ],
)
def test_operation_buttons_are_exactly_the_available_operations(
    app: AppFactory, ui_ctx: Context, role: str, tx_type: str, expected: set[str]
) -> None:
    username = add_user(ui_ctx, role)
    parent = add_tx(ui_ctx, "DB") if tx_type == "CB" else None
    uuid = add_tx(ui_ctx, tx_type, parent=parent)
    at = open_details(app, username, uuid)
    assert op_buttons(at) == expected
    assert set(show_transaction(ui_ctx, uuid, actor=username).available_operations or []) == expected


def test_a_pending_transaction_offers_no_operation(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "admin")
    uuid = add_tx(ui_ctx, "DB", result_code="000.200.000")
    assert op_buttons(open_details(app, username, uuid)) == set()


def test_details_show_summary_balances_and_masked_customer(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "viewer")
    uuid = add_tx(
        ui_ctx,
        "PA",
        12_345,
        "EUR",
        transaction_id="ORD-4711",
        bin="411111",
        last4="1234",
        holder="Jane Doe",
        customer_email="jane.doe@example.com",
        customer_name="Jane Doe",
    )
    at = open_details(app, username, uuid)
    assert plain(at.title[0].value) == "Pre-Authorization · 123.45 EUR"
    codes = [c.value for c in at.code]
    assert "ORD-4711" in codes and uuid in codes
    text = plain(" ".join(m.value for m in at.markdown))
    assert "🟢 Success" in text and "000.000.000" in text
    assert "j•••@example.com" in text and "jane.doe@example.com" not in text
    assert "411111 •••••• 1234" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Capturable"] == "123.45 EUR"
    assert metrics["Captured"] == "0.00 EUR"


def test_details_list_parent_and_children_each_openable(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "viewer")
    pa = add_tx(ui_ctx, "PA", 10_000, transaction_id="ORD-PA")
    cp = add_tx(ui_ctx, "CP", 4_000, parent=pa, transaction_id="ORD-PA-CP1")
    at = open_details(app, username, pa)
    assert at.metric  # balances present
    assert {m.label: m.value for m in at.metric}["Captured"] == "40.00 EUR"
    at.button(key=f"open_{cp}").click().run()
    assert plain(at.title[0].value) == "Capture · 40.00 EUR"
    assert at.button(key=f"open_{pa}")


def test_unknown_or_malformed_uuid_shows_a_message_not_a_traceback(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "viewer")
    at = open_details(app, username, "0" * 32)
    assert at.error and not at.exception
    at = open_details(app, username, "not-a-uuid'--")
    assert at.error and not at.exception


def test_viewer_sees_no_operation_buttons(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "viewer")
    at = open_details(app, username, add_tx(ui_ctx, "DB"))
    assert op_buttons(at) == set()
    assert not any(s.value == "Operations" for s in at.subheader)


def test_capture_through_the_dialog_books_once_and_shows_the_new_uuid(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    pa = add_tx(ui_ctx, "PA", 10_000, transaction_id="ORD-9")
    at = open_details(app, username, pa)
    at.button(key="op_capture").click().run()
    assert at.text_input(key="op_amount").value == "100.00"
    assert at.text_input(key="op_txid").value == "ORD-9-CP1"
    at.text_input(key="op_amount").input("30.00")
    at.text_input(key="op_usage").input("Order 9")
    at.text_area(key="op_memo").input("customer asked")
    submit(at)
    assert not at.exception
    kids = children(ui_ctx, pa)
    assert len(kids) == 1 and kids[0].amount_minor == 3_000 and kids[0].usage == "Order 9"
    codes = [c.value for c in at.code]
    assert kids[0].uuid in codes and "ORD-9-CP1" in codes
    assert "Capture booked" in plain(at.success[0].value)
    assert {m.label: m.value for m in at.metric}["Parent available now"] == "70.00 EUR"
    # the page behind already lists the new child
    assert at.button(key=f"open_{kids[0].uuid}")
    at.button(key="dialog_close").click().run()
    assert "op_dialog" not in at.session_state
    assert len(children(ui_ctx, pa)) == 1 and audit_count(ui_ctx) == 1


def test_resubmitting_the_same_dialog_replays_instead_of_booking_twice(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    db = add_tx(ui_ctx, "DB", 5_000)
    at = open_details(app, username, db)
    at.button(key="op_refund").click().run()
    key = at.session_state["op_dialog"]["key"]
    at.text_input(key="op_amount").input("10.00")
    submit(at, "duplicate")
    assert len(children(ui_ctx, db)) == 1
    # a second submit of the same dialog (double click, retry) carries the same key
    state = at.session_state["op_dialog"]
    assert state["key"] == key
    state.pop("result")
    at.session_state["op_dialog"] = state
    at.run()
    submit(at, "duplicate")
    assert len(children(ui_ctx, db)) == 1
    assert "already submitted" in plain(at.success[0].value)


def test_amount_over_available_is_refused_with_reason_and_code_and_keeps_the_input(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    pa = add_tx(ui_ctx, "PA", 10_000)
    at = open_details(app, username, pa)
    at.button(key="op_capture").click().run()
    at.text_input(key="op_amount").input("100.01")
    at.text_input(key="op_usage").input("kept")
    submit(at)
    assert not at.exception
    assert children(ui_ctx, pa) == []
    assert "700.400.100" in plain(at.error[0].value) and "Refused" in plain(at.error[0].value)
    assert at.text_input(key="op_amount").value == "100.01"
    assert at.text_input(key="op_usage").value == "kept"
    assert audit_count(ui_ctx) == 1  # the refused attempt is audited


def test_malformed_amount_shows_the_field_message_and_writes_nothing(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    db = add_tx(ui_ctx, "DB", 10_000)
    at = open_details(app, username, db)
    at.button(key="op_refund").click().run()
    at.text_input(key="op_amount").input("1e3")
    submit(at, "duplicate")
    assert "exponent notation" in plain(at.error[0].value)
    assert children(ui_ctx, db) == [] and audit_count(ui_ctx) == 0


def test_reversal_dialog_asks_no_amount_and_releases_the_open_amount(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    pa = add_tx(ui_ctx, "PA", 2_500)
    at = open_details(app, username, pa)
    at.button(key="op_reversal").click().run()
    assert "op_amount" not in [t.key for t in at.text_input]
    submit(at)
    kids = children(ui_ctx, pa)
    assert [(k.type, k.amount_minor) for k in kids] == [("RV", 2_500)]
    assert op_buttons(at) == set()


def test_rebill_dialog_is_prefilled_with_the_debit_amount(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "analyst")
    db = add_tx(ui_ctx, "DB", 1_990, "JPY")
    add_tx(ui_ctx, "RF", 990, "JPY", parent=db)
    at = open_details(app, username, db)
    at.button(key="op_rebill").click().run()
    assert at.text_input(key="op_amount").value == "1990"


def test_duplicate_transaction_id_is_refused_in_words(app: AppFactory, ui_ctx: Context) -> None:
    username = add_user(ui_ctx, "analyst")
    first = add_tx(ui_ctx, "DB", 5_000)
    second = add_tx(ui_ctx, "DB", 5_000)
    for uuid in (first, second):
        at = open_details(app, username, uuid)
        at.button(key="op_refund").click().run()
        at.text_input(key="op_amount").input("1.00")
        at.text_input(key="op_txid").input("REF-SAME")
        submit(at, "duplicate")
    assert "already used" in plain(at.error[0].value) and "700.400.800" in plain(at.error[0].value)
    assert children(ui_ctx, second) == []


def test_a_database_failure_during_submit_shows_a_readable_error_and_books_nothing(
    app: AppFactory, ui_ctx: Context
) -> None:
    username = add_user(ui_ctx, "analyst")
    db = add_tx(ui_ctx, "DB", 10_000)
    at = open_details(app, username, db)
    at.button(key="op_refund").click().run()
    at.text_input(key="op_amount").input("5.00")
    # A broken schema under the running app: the audit table is gone.
    with ui_ctx.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
    submit(at, "duplicate")
    assert not at.exception, at.exception
    assert any("unexpected error" in e.value for e in at.error), [e.value for e in at.error]
    assert "Traceback" not in " ".join(str(e.value) for e in at.error)
    assert children(ui_ctx, db) == []
