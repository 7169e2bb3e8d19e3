"""Bulk operations: upload a CSV file, dry run, confirm the totals, execute, download the result."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import bulk, bulk_store
from bo_web import bulk_view as view
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.safe import md

user = guard(__file__)
ctx = get_ctx()
st.title("Bulk operations")
if not view.may_run_operations(user):
    st.error(f"Your role ({user.role.name}) cannot run operations.")
    st.stop()

st.caption(
    "A CSV file (UTF-8, comma or semicolon) with a header line: `parent_uuid` (or "
    "`parent_transaction_id` and `merchant`), `operation`, `amount` (major units, empty for a "
    "reversal), optional `usage`, `transaction_id`, `memo`, `reason`. Every line is decided by the "
    "same rules as the operation dialog; a dry run comes first."
)
uploaded = st.file_uploader("Operations file", type=["csv", "txt"], key="bulk_upload")
if uploaded is None:
    st.session_state.pop("_bulk", None)
    st.stop()

data = uploaded.getvalue()
state: dict[str, str] = st.session_state.setdefault("_bulk", {})
if state.get("sha") != bulk.content_hash(data):
    state.clear()
    state["sha"] = bulk.content_hash(data)

try:
    parsed = bulk.parse_bulk_file(data, max_lines=bulk.max_lines_setting())
except bulk.MalformedBulkFile as exc:
    st.error(f"The file is malformed: nothing can run. {len(exc.problems)} problem(s):")
    st.dataframe(
        pd.DataFrame([{"Line": p.line, "Column": p.column, "Problem": p.reason} for p in exc.problems]),
        hide_index=True,
        key="bulk_problems",
    )
    st.stop()

st.markdown(f"**{md(uploaded.name)}**: {len(parsed.lines):,} lines.")  # a file name is data: inert
if "dry" not in state:
    if st.button("Dry run", type="primary", key="bulk_dry_run", icon="🧪"):
        try:
            run_id = bulk.start_run(ctx, data, uploaded.name, user.username, dry_run=True)
            view.execute_with_progress(ctx, run_id, user, "Dry run:")
        except Exception as exc:
            st.error(explain(exc))
            st.stop()
        state["dry"] = run_id
        st.rerun()
    st.stop()

try:
    dry = bulk_store.read_report(ctx, state["dry"], actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()

if "real" not in state:
    st.subheader("Dry run")
    view.show_totals(dry, "Would succeed")
    view.show_lines(dry, "bulk_dry_lines")
    accepted = dry.summary.counts.get("would_succeed", 0) + dry.summary.counts.get("success", 0)
    confirmed = st.checkbox(
        f"I confirm: execute {len(parsed.lines):,} lines, booking {view.totals_text(dry.totals)}",
        key="bulk_confirm",
        disabled=accepted == 0,
    )
    if st.button(
        "Execute", type="primary", key="bulk_execute", disabled=not confirmed or accepted == 0, icon="▶️"
    ):
        try:
            run_id = bulk.start_run(ctx, data, uploaded.name, user.username, dry_run=False)
            state["real"] = run_id
            view.execute_with_progress(ctx, run_id, user, "Executing:")
        except Exception as exc:
            st.error(explain(exc))
            st.stop()
        st.rerun()
    st.stop()

try:
    report = bulk_store.read_report(ctx, state["real"], actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
st.subheader("Result")
if report.summary.status != bulk_store.DONE:
    st.warning("This run was interrupted. Resume it on the Bulk runs page: no line is booked twice.")
else:
    st.success(f"Run finished: {view.totals_text(report.totals)} booked or already booked.")
view.show_totals(report, "Succeeded")
view.show_lines(report, "bulk_real_lines")
view.download_result(report, "bulk_download")
