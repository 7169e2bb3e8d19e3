"""UI glue for the bulk pages: tables, totals, a throttled progress bar, the run runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from bo_core.domain.permissions import permission_for
from bo_core.domain.types import Operation
from bo_core.services import bulk, bulk_store
from bo_core.services.context import Context
from bo_web import fmt
from bo_web.auth import SessionUser
from bo_web.context import data_changed

OUTCOME_BADGE = {
    "success": "🟢 Success",
    "would_succeed": "🟢 Would succeed",
    "refused": "🔴 Refused",
    "awaiting_approval": "🟡 Awaiting approval",
    "would_await_approval": "🟡 Would wait for approval",
}


def may_run_operations(user: SessionUser) -> bool:
    return any(user.can(permission_for(op)) for op in Operation)


def totals_text(totals: dict[str, str]) -> str:
    return ", ".join(fmt.money(amount, cur) for cur, amount in totals.items()) or "nothing"


def show_totals(report: bulk_store.RunReport, label: str) -> None:
    counts = report.summary.counts
    cols = st.columns(2 + max(1, len(report.totals)))
    cols[0].metric("Lines", f"{report.summary.total_lines:,}")
    accepted = counts.get("success", 0) + counts.get("would_succeed", 0)
    waiting = counts.get("awaiting_approval", 0) + counts.get("would_await_approval", 0)
    detail = f"{accepted:,} · refused {counts.get('refused', 0):,}"
    cols[1].metric(label, detail + (f" · approval {waiting:,}" if waiting else ""))
    for col, (cur, amount) in zip(cols[2:], report.totals.items(), strict=False):
        col.metric(f"Total {cur}", fmt.money(amount, cur))


def lines_frame(report: bulk_store.RunReport) -> list[dict[str, Any]]:
    decided = {r.line: r for r in report.lines}
    rows: list[dict[str, Any]] = []
    for item in report.inputs:
        r = decided.get(int(item["line"]))
        rows.append(
            {
                "Line": int(item["line"]),
                "Operation": item["operation"],
                "Parent": item["parent_uuid"] or f"{item['parent_transaction_id']} ({item['merchant']})",
                "Amount": item["amount"],
                "Outcome": OUTCOME_BADGE.get(r.outcome, r.outcome) if r else "… not yet",
                "Result code": r.result_code if r else "",
                "Message": r.message if r else "",
                "New UUID": (r.uuid or "") if r else "",
            }
        )
    return rows


def show_lines(report: bulk_store.RunReport, key: str) -> None:
    st.dataframe(
        lines_frame(report),
        hide_index=True,
        key=key,
        column_config={"Message": st.column_config.TextColumn(width="large")},
    )


def progress_callback(text: str) -> Callable[[int, int], None]:
    """A progress bar that is redrawn at most once per percent."""
    bar = st.progress(0.0, text=text)
    last = [-1]

    def update(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != last[0]:
            last[0] = percent
            bar.progress(percent / 100, text=f"{text} {done:,} / {total:,} lines")

    return update


def execute_with_progress(ctx: Context, run_id: str, user: SessionUser, text: str) -> bulk_store.RunReport:
    try:
        return bulk.execute(ctx, run_id, user.username, progress_callback(text))
    finally:
        data_changed()


def download_result(report: bulk_store.RunReport, key: str) -> None:
    st.download_button(
        "Download the result file (CSV)",
        data=report.result_csv().encode("utf-8"),
        file_name=f"bulk-result-{report.run_id[:8]}-{report.summary.file_name}",
        mime="text/csv",
        key=key,
        icon="⬇️",
        on_click="ignore",
    )


def runs_frame(runs: list[bulk_store.RunSummary]) -> list[dict[str, Any]]:
    return [
        {
            "When (UTC)": r.created_at.replace(tzinfo=None),
            "Who": r.username,
            "File": r.file_name,
            "Kind": "Dry run" if r.dry_run else "Run",
            "Status": "✅ Done" if r.status == bulk_store.DONE else "⏸️ Not finished",
            "Lines": r.total_lines,
            "Succeeded": r.counts.get("success", 0),
            "Would succeed": r.counts.get("would_succeed", 0),
            "Refused": r.counts.get("refused", 0),
            "Awaiting approval": r.counts.get("awaiting_approval", 0)
            + r.counts.get("would_await_approval", 0),
            "Undecided": r.counts.get("undecided", 0),
            "Run id": r.run_id,
        }
        for r in runs
    ]
