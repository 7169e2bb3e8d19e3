"""Bulk runs: one's own (managers: everyone's), their lines, result files, resuming."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import bulk_store
from bo_web import bulk_view as view
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain

user = guard(__file__)
ctx = get_ctx()
st.title("Bulk runs")
try:
    runs = bulk_store.list_runs(ctx, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
if not runs:
    st.info("No bulk run yet. Upload a file on the Bulk operations page.")
    st.stop()

st.dataframe(
    pd.DataFrame(view.runs_frame(runs)),
    hide_index=True,
    key="br_table",
    column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
)
labels = {
    r.run_id: f"{r.created_at:%Y-%m-%d %H:%M} · {r.file_name} · {r.username}"
    + (" · dry run" if r.dry_run else "")
    for r in runs
}
ids: list[str] = list(labels)
run_id: str = st.selectbox("Run", ids, format_func=lambda i: labels[i], key="br_run") or ids[0]
try:
    report = bulk_store.read_report(ctx, run_id, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()

unfinished = report.summary.status != bulk_store.DONE
if unfinished and not report.summary.dry_run and report.summary.username == user.username:
    st.warning(f"{report.summary.counts.get('undecided', 0):,} lines are not decided yet.")
    if st.button("Resume this run", type="primary", key="br_resume", icon="▶️"):
        try:
            view.execute_with_progress(ctx, run_id, user, "Resuming:")
        except Exception as exc:
            st.error(explain(exc))
            st.stop()
        st.rerun()
view.show_totals(report, "Would succeed" if report.summary.dry_run else "Succeeded")
view.show_lines(report, "br_lines")
view.download_result(report, "br_download")
