"""Operation History for managers and the export blocks, through AppTest.

The attempted amount of a refused attempt, the transaction acted on, the charts
(refusals by reason and role, a facet per currency, one colour per outcome), and
exports that state their row count first and are built as temporary files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bo_core.config import get_settings
from bo_core.security.events import list_security_events
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_web.history_charts import PENDING_AMBER, REFUSED_RED, SUCCESS_GREEN
from tests.factories import add_tx, add_user, reason_for
from tests.ui.conftest import AppFactory, plain

HISTORY = "pages/history.py"
TRANSACTIONS = "pages/transactions.py"


@pytest.fixture
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui_ctx: Context) -> Path:
    path = tmp_path / "exports"
    monkeypatch.setenv("BO_EXPORT_DIR", str(path))
    get_settings.cache_clear()
    return path


def book(ctx: Context, username: str, operation: str, parent: str, amount: str | None) -> None:
    run_operation(
        ctx, OperationRequest(operation, parent, username, amount=amount, reason=reason_for(operation))
    )


def specs(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(e.proto.spec) for e in at.main.get("vega_lite_chart")]


def test_a_refused_attempt_shows_its_attempted_amount_and_the_transaction_acted_on(
    app: AppFactory, ui_ctx: Context
) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    analyst = add_user(ui_ctx, "analyst", "ari")
    db = add_tx(ui_ctx, "DB", 10_000, transaction_id="ORDER-4711")
    book(ui_ctx, analyst, "refund", db, "500.00")  # refused: over the refundable 100.00
    at = app(manager, page=HISTORY)
    row = at.dataframe[0].value.iloc[0]
    assert row["Outcome"] == "🔴 Refused"
    assert row["Attempted"] == "500.00 EUR"
    assert (row["Acted on"], row["Transaction ID"], row["UUID"]) == ("Debit", "ORDER-4711", db)
    assert row["New Transaction ID"] == "" and row["New UUID"] == ""
    assert "Refused attempts asked for: 500.00 EUR" in [plain(c.value) for c in at.caption]


def test_history_filters_and_sums_by_attempted_amount(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, manager, "refund", db, "30.00")
    book(ui_ctx, manager, "refund", db, "500.00")
    book(ui_ctx, manager, "refund", db, "900.00")
    at = app(manager, page=HISTORY)
    at.text_input(key="h_amin").input("400").run()
    table = at.dataframe[0].value
    assert sorted(table["Attempted"]) == ["500.00 EUR", "900.00 EUR"]
    assert {m.label: m.value for m in at.metric}["Refused"] == "2"
    assert "Refused attempts asked for: 1,400.00 EUR" in [plain(c.value) for c in at.caption]
    at.text_input(key="h_amax").input("600").run()
    assert list(at.dataframe[0].value["Attempted"]) == ["500.00 EUR"]


def test_charts_show_refusals_by_reason_and_role_and_one_facet_per_currency(
    app: AppFactory, ui_ctx: Context
) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    analyst = add_user(ui_ctx, "analyst", "ari")
    eur = add_tx(ui_ctx, "DB", 10_000, currency="EUR")
    jpy = add_tx(ui_ctx, "DB", 500_000, currency="JPY")
    book(ui_ctx, analyst, "refund", eur, "10.00")
    book(ui_ctx, analyst, "refund", jpy, "9000")
    book(ui_ctx, analyst, "refund", eur, "999.00")  # refused: volume
    book(ui_ctx, manager, "chargeback", jpy, "999999")  # refused: volume
    at = app(manager, page=HISTORY)
    subheaders = [plain(s.value) for s in at.subheader]
    assert {"Refusals by reason", "Refusals by role", "Amounts per currency"} <= set(subheaders)
    y_fields = [s.get("encoding", {}).get("y", {}).get("field") for s in specs(at)]  # type: ignore[union-attr]
    assert "Reason" in y_fields and "Role" in y_fields
    amounts = next(s for s in specs(at) if "facet" in s)
    assert amounts["resolve"] == {"scale": {"y": "independent"}}
    scales = [s["encoding"]["color"].get("scale", {}) for s in specs(at) if "encoding" in s]  # type: ignore[index,union-attr]
    scales.append(amounts["spec"]["encoding"]["color"]["scale"])  # type: ignore[index]
    outcome_scales = {(tuple(x["domain"]), tuple(x["range"])) for x in scales if "domain" in x}
    assert len(outcome_scales) == 1  # the same outcome colours in every chart that shows outcomes
    ((domain, palette),) = outcome_scales
    assert domain[:3] == ("Success", "Refused", "Pending")
    others = {c for x in scales if "domain" not in x for c in x.get("range", [])}
    assert not others & {SUCCESS_GREEN, REFUSED_RED, PENDING_AMBER}  # red, green, amber mean outcomes only
    assert palette[:3] == (SUCCESS_GREEN, REFUSED_RED, PENDING_AMBER)


def test_the_history_export_states_its_row_count_and_writes_a_temporary_file(
    app: AppFactory, ui_ctx: Context, export_dir: Path
) -> None:
    manager = add_user(ui_ctx, "manager")
    db = add_tx(ui_ctx, "DB", 10_000)
    book(ui_ctx, manager, "refund", db, "3.00")
    book(ui_ctx, manager, "refund", db, "4.00")
    at = app(manager, page=HISTORY)
    captions = [plain(c.value) for c in at.caption]
    assert any("The export will hold **2** attempts" in c for c in captions), captions
    assert at.button(key="h_export_prepare").label == "Prepare CSV of 2 attempts"
    at.button(key="h_export_prepare").click().run()
    link = at.get("html")[0].proto.body
    token = link.split("/media/export/")[1].split('"')[0]
    data = (export_dir / f"{token}.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    assert len(data.decode("utf-8-sig").splitlines()) == 3
    assert 'download="operation-history-' in link and 'Z.csv"' in link  # a UTC stamp


@pytest.mark.parametrize(("role", "masked"), [("viewer", True), ("admin", False)])
def test_the_transactions_export_is_masked_unless_the_role_may_export_personal_data(
    app: AppFactory, ui_ctx: Context, export_dir: Path, role: str, masked: bool
) -> None:
    user = add_user(ui_ctx, role)
    add_tx(ui_ctx, "DB", 10_000, customer_email="jane.doe@example.com", holder="Jane Doe")
    at = app(user, page=TRANSACTIONS)
    assert at.button(key="export_prepare").label == "Prepare CSV of 1 transactions"
    at.button(key="export_prepare").click().run()
    assert not at.exception
    token = at.get("html")[0].proto.body.split("/media/export/")[1].split('"')[0]
    text = (export_dir / f"{token}.csv").read_text(encoding="utf-8-sig")
    if masked:
        assert "jane.doe@example.com" not in text and "j•••@example.com" in text
    else:
        assert "jane.doe@example.com" in text
    events = [e for e in list_security_events(ui_ctx, username=user) if e.kind == "export"]
    assert len(events) == 1 and json.loads(events[0].detail)["rows"] == 1
