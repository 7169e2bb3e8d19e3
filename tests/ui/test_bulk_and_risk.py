"""Bulk operations, Bulk runs and Risk pages through AppTest (real SQLite file, real services).

AppTest does not expose a dataframe's key: tables are found by their order on the page.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from bo_core.db.models import TransactionRow
from bo_core.services import bulk
from bo_core.services.context import Context
from bo_web.auth import NAVIGATION_READY
from tests.factories import add_tx, add_user
from tests.ui.conftest import ROOT, AppFactory, plain, sign_in_as
from tests.ui.test_history_and_users import refused_page, signed_in_page_file

BULK = "pages/bulk.py"
RUNS = "pages/bulk_runs.py"
RISK = "pages/risk.py"


def refunds(ctx: Context, parent: str) -> list[int]:
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow.amount_minor).where(
            TransactionRow.parent_uuid == parent, TransactionRow.type == "RF"
        )
        return sorted(uow.session.execute(stmt).scalars())


def upload(at: AppTest, data: bytes, name: str = "refunds.csv") -> AppTest:
    at.file_uploader(key="bulk_upload").set_value((name, data, "text/csv"))
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(
        str(e.value)
        for kind in ("markdown", "success", "warning", "error", "info")
        for e in getattr(at, kind)
    )


def test_upload_dry_run_confirm_execute_then_reupload_books_nothing_twice(
    app: AppFactory, ui_ctx: Context
) -> None:
    analyst = add_user(ui_ctx, "analyst")
    cp = add_tx(ui_ctx, "CP", 10_000)
    lines = "".join(f"{cp},refund,{a},fraudulent\n" for a in ("60", "50", "15.5"))
    data = ("parent_uuid,operation,amount,reason\n" + lines).encode()
    at = upload(app(analyst, page=BULK), data)
    assert "3 lines" in texts(at)
    at.button(key="bulk_dry_run").click().run()
    lines = at.dataframe[0].value
    assert list(lines["Outcome"]) == ["🟢 Would succeed", "🔴 Refused", "🟢 Would succeed"]
    assert any(m.label == "Total EUR" and "75.50" in m.value for m in at.metric)
    assert refunds(ui_ctx, cp) == []
    assert at.button(key="bulk_execute").disabled  # not before the totals are confirmed
    confirm = at.checkbox(key="bulk_confirm")
    assert "75.50" in confirm.label
    confirm.check().run()
    at.button(key="bulk_execute").click().run()
    assert not at.exception
    result = at.dataframe[0].value
    assert list(result["Outcome"]) == ["🟢 Success", "🔴 Refused", "🟢 Success"]
    assert refunds(ui_ctx, cp) == [1_550, 6_000]
    assert at.get("download_button")

    again = upload(app(analyst, page=BULK), data, "refunds-again.csv")
    again.button(key="bulk_dry_run").click().run()
    assert all("Already executed" in m for m in again.dataframe[0].value["Message"][[0, 2]])
    again.checkbox(key="bulk_confirm").check().run()
    again.button(key="bulk_execute").click().run()
    assert refunds(ui_ctx, cp) == [1_550, 6_000]


def test_a_malformed_file_lists_its_problems_and_offers_no_dry_run(app: AppFactory, ui_ctx: Context) -> None:
    analyst = add_user(ui_ctx, "analyst")
    at = upload(app(analyst, page=BULK), b"parent_uuid,operation,amount\nxyz,refund,abc\n")
    problems = at.dataframe[0].value
    assert set(zip(problems["Line"], problems["Column"], strict=True)) == {(2, "parent_uuid"), (2, "amount")}
    assert "malformed" in at.error[0].value
    assert not [b for b in at.button if b.key == "bulk_dry_run"]


def test_viewers_have_no_bulk_page(app: AppFactory, ui_ctx: Context) -> None:
    viewer = add_user(ui_ctx, "viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(viewer, page=BULK)
    at = AppTest.from_file(str(ROOT / BULK), default_timeout=30)
    sign_in_as(at, ui_ctx, viewer)
    at.session_state[NAVIGATION_READY] = True  # as if opened through the app's navigation
    at.run()
    assert at.error and "cannot run operations" in plain(at.error[0].value)
    assert not at.get("file_uploader")


def test_bulk_runs_lists_own_runs_and_managers_see_all_and_resume(app: AppFactory, ui_ctx: Context) -> None:
    a, b, manager = add_user(ui_ctx, "analyst"), add_user(ui_ctx, "analyst"), add_user(ui_ctx, "manager")
    cp = add_tx(ui_ctx, "CP", 10_000)
    data = f"parent_uuid,operation,amount,reason\n{cp},refund,10,duplicate\n".encode()
    run_id = bulk.start_run(ui_ctx, data, "interrupted.csv", a, dry_run=False)  # never executed
    at = app(a, page=RUNS)
    table = at.dataframe[0].value
    assert list(table["File"]) == ["interrupted.csv"] and list(table["Who"]) == [a]
    assert "Not finished" in table["Status"][0]
    at.button(key="br_resume").click().run()
    assert refunds(ui_ctx, cp) == [1_000]
    assert "Done" in at.dataframe[0].value["Status"][0]
    assert at.get("download_button")
    assert "No bulk run yet" in app(b, page=RUNS).info[0].value
    seen = app(manager, page=RUNS)
    assert list(seen.dataframe[0].value["Run id"]) == [run_id]
    assert not [btn for btn in seen.button if btn.key == "br_resume"]


RISK_TOML = """
[visa]
brands = ["VISA"]
[[visa.levels]]
status = "excessive"
ratio = "0.015"
min_chargebacks = 2
source = "test source"
effective = "2026-04-01"
[mastercard]
brands = ["MASTER"]
denominator = "previous_month"
[[mastercard.levels]]
status = "excessive"
ratio = "0.015"
min_chargebacks = 2
source = "test source"
effective = "2023-01-01"
"""


def test_risk_page_ranks_merchants_with_badges_trend_and_thresholds(
    app: AppFactory, ui_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "risk.toml").write_text(RISK_TOML, encoding="utf-8")
    monkeypatch.setenv("BO_RISK_FILE", str(tmp_path / "risk.toml"))
    manager = add_user(ui_ctx, "manager")
    when = ui_ctx.now() - timedelta(minutes=5)
    for _ in range(10):
        add_tx(ui_ctx, "DB", merchant="calm-shop", created_at=when)
        add_tx(ui_ctx, "DB", merchant="risky-shop", created_at=when)
    for _ in range(3):
        add_tx(ui_ctx, "CB", merchant="risky-shop", created_at=when)
    at = app(manager, page=RISK)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Merchant"]) == ["risky-shop", "calm-shop"]
    assert list(table["Status"]) == ["🔴 above threshold", "🟢 fine"]
    assert at.selectbox(key="risk_merchant").value == "risky-shop"
    assert at.main.get("vega_lite_chart")
    assert "test source" in list(at.dataframe[1].value["Source"])


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_only_roles_with_analytics_reach_the_risk_page(app: AppFactory, ui_ctx: Context, role: str) -> None:
    username = add_user(ui_ctx, role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app(username, page=RISK)
    assert refused_page(signed_in_page_file(RISK, username, ui_ctx))
