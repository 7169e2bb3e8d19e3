"""Operation History: the reason filter (refunds and chargebacks)."""

from __future__ import annotations

from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.factories import add_tx, add_user
from tests.ui.conftest import AppFactory

HISTORY = "pages/history.py"


def test_the_reason_filter_keeps_the_attempts_with_that_reason(app: AppFactory, ui_ctx: Context) -> None:
    manager = add_user(ui_ctx, "manager", "mia")
    db = add_tx(ui_ctx, "DB", 10_000)
    for amount, reason in (("1.00", "duplicate"), ("2.00", "fraudulent"), ("3.00", "fraudulent")):
        assert run_operation(ui_ctx, OperationRequest("refund", db, manager, amount=amount, reason=reason)).ok
    at = app(manager, page=HISTORY)
    assert not at.exception, at.exception
    assert at.selectbox(key="h_reason").options[1:] == [
        "Duplicate",
        "Fraudulent",
        "Requested by customer",
        "Other",
    ]
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key="h_reason").select("fraudulent").run()
    table = at.dataframe[0].value
    assert len(table) == 2 and set(table["Reason"]) == {"Fraudulent"}
    assert {m.label: m.value for m in at.metric}["Attempts"] == "2"
