"""Operation History (history:view): every attempt, filtered, totalled, charted, exported."""

from __future__ import annotations

import streamlit as st

from bo_core.services import export_files, history
from bo_web import export_panel, fmt, history_charts, history_table
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.local_time import browser_zone
from bo_web.vocab import Operation, Outcome, Permission

PAGE_SIZE = 100

user = guard(__file__, Permission.HISTORY_VIEW)
ctx = get_ctx()


@st.cache_data(ttl=300, show_spinner=False)
def choices(url: str, actor: str) -> tuple[list[str], list[str], list[str]]:
    return history.filter_choices(get_ctx(), actor=actor)


def everything(label: str) -> str:
    return label or "All"


st.title("Operation History")
usernames, merchants, currencies = choices(ctx.settings.database_url, user.username)
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    period = c1.selectbox(
        "Period",
        list(fmt.PERIODS),
        format_func=fmt.PERIODS.__getitem__,
        index=2,
        key="h_period",
        bind="query-params",
    )
    who = c2.selectbox("User", ["", *usernames], format_func=everything, key="h_user", bind="query-params")
    operation = c3.selectbox(
        "Operation",
        ["", *(o.value for o in Operation)],
        format_func=lambda o: Operation(o).label if o else "All",
        key="h_operation",
        bind="query-params",
    )
    c4, c5, c6 = st.columns(3)
    outcome = c4.selectbox(
        "Outcome",
        ["", *(o.value for o in Outcome)],
        format_func=lambda o: fmt.OUTCOME_BADGE.get(o, "All"),
        key="h_outcome",
        bind="query-params",
    )
    merchant = c5.selectbox(
        "Merchant", ["", *merchants], format_func=everything, key="h_merchant", bind="query-params"
    )
    currency = c6.selectbox(
        "Currency", ["", *currencies], format_func=everything, key="h_currency", bind="query-params"
    )
    reason = st.selectbox(
        "Reason (refunds, chargebacks)",
        ["", *ctx.settings.operation_reasons],
        format_func=lambda r: fmt.reason(r) or "All",
        key="h_reason",
        bind="query-params",
    )
    start = end = None
    if period == "custom":
        d1, d2 = st.columns(2)
        start = d1.date_input("From (UTC)", value=None, key="h_from", bind="query-params")
        end = d2.date_input("To (UTC, inclusive)", value=None, key="h_to", bind="query-params")
    a1, a2, _ = st.columns(3)
    min_attempted = a1.text_input(
        "Attempted from", key="h_amin", placeholder="e.g. 100.00", bind="query-params"
    )
    max_attempted = a2.text_input("Attempted to", key="h_amax", placeholder="e.g. 5000", bind="query-params")

try:
    date_from, date_to = fmt.period_bounds(period, start, end, ctx.now())
    filters = history.parse_history_filters(
        date_from=date_from,
        date_to=date_to,
        username=who,
        operation=operation,
        outcome=outcome,
        merchant=merchant,
        currency=currency,
        min_attempted=min_attempted,
        max_attempted=max_attempted,
        reason=reason,
    )
    # Totals and charts are analytics: shown to roles with analytics:view only.
    analytics = user.can(Permission.ANALYTICS_VIEW)
    stats = history.history_stats(ctx, filters, actor=user.username) if analytics else None
except Exception as exc:
    st.error(explain(exc))
    st.stop()

if stats is not None:
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Attempts", f"{stats.attempts:,}")
    m2.metric("Successful", f"{stats.successes:,}")
    m3.metric("Refused", f"{stats.refusals:,}")
    m4.metric("Success rate", f"{stats.successes / stats.attempts:.0%}" if stats.attempts else "—")

if stats is not None and stats.refused_attempted:
    asked = " · ".join(fmt.money(total) for _cur, _n, total in stats.refused_attempted)
    st.caption(f"Refused attempts asked for: {asked}")
if stats is not None and stats.attempts:
    history_charts.show(stats)

st.subheader("Attempts")
if st.session_state.get("_h_signature") != repr(filters):
    st.session_state.update({"_h_signature": repr(filters), "h_page": 1})
page_no = st.session_state.get("h_page", 1)
try:
    entries = history.list_history(
        ctx, filters, actor=user.username, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
    )
except Exception as exc:
    st.error(explain(exc))
    st.stop()
zone = browser_zone()
if entries:
    history_table.show(entries, zone)
else:
    st.info("No operation attempt matches these filters.")
if stats is not None:
    last_page = max(1, -(-stats.attempts // PAGE_SIZE))
    of_pages = f" of {last_page:,}"
else:  # without the totals, a full page means there may be another one
    last_page = page_no + 1 if len(entries) == PAGE_SIZE else page_no
    of_pages = ""
p1, p2, p3 = st.columns([1, 2, 1], vertical_alignment="center")
p1.button(
    "◀ Prev",
    key="h_prev",
    disabled=page_no <= 1,
    on_click=st.session_state.update,
    args=({"h_page": page_no - 1},),
)
p2.markdown(f"Page **{page_no}**{of_pages}")
p3.button(
    "Next ▶",
    key="h_next",
    disabled=page_no >= last_page,
    on_click=st.session_state.update,
    args=({"h_page": page_no + 1},),
)

st.subheader("Export")
try:
    export_size = export_files.history_export_size(ctx, filters, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
export_panel.panel(
    ctx,
    key="h_export",
    noun="attempts",
    signature=repr(filters),
    size=export_size,
    build=lambda owner, progress: export_files.export_history(
        ctx, filters, actor=user.username, owner_session=owner, progress=progress
    ),
)
