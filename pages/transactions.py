"""Transactions: filter, page through and export; open one to act on it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import export_files, search
from bo_web import export_panel, fmt, search_url, views_panel, websession
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.flash import show_flash
from bo_web.focus import focus
from bo_web.safe import md
from bo_web.vocab import TxType

PAGE_SIZE = 50
COUNT_CAP = 10_000
_FOCUSED = "_tx_focused_for"

user = guard(__file__)
ctx = get_ctx()


@st.cache_data(ttl=300, show_spinner=False)
def options(url: str, actor: str) -> search.FilterOptions:
    return search.filter_options(get_ctx(), actor=actor)


@st.cache_data(ttl=30, show_spinner=False)
def count(url: str, filters: search.SearchFilters, actor: str) -> search.CountResult:
    return search.count_matches(get_ctx(), filters, actor=actor, cap=COUNT_CAP)


st.title("Transactions")
show_flash()
opts = options(ctx.settings.database_url, user.username)
choices = {
    "merchant": ["", *opts.merchants],
    "currency": ["", *opts.currencies],
    "brand": ["", *opts.brands],
    "type": [t.value for t in TxType],
    "status": fmt.STATUSES,
    "period": list(fmt.PERIODS),
    "cols": list(views_panel.COLUMNS),
}
from_url = search_url.read_url(choices)
views_panel.apply_on_open(ctx, user, choices, search_url.DEFAULT_PERIOD)
with st.container(border=True):
    c_text, c_period = st.columns([3, 1])
    q = c_text.text_input(
        "Search",
        key="q",
        placeholder="UUID or Transaction ID (or their beginning), last 4 card digits, "
        "e-mail, @domain, holder name or surname",
    )
    period = c_period.selectbox(
        "Period", list(fmt.PERIODS), format_func=fmt.PERIODS.__getitem__, key="period"
    )
    start = end = None
    if period == "custom":
        d1, d2 = st.columns(2)
        start = d1.date_input("From (UTC)", value=None, key="from")
        end = d2.date_input("To (UTC, inclusive)", value=None, key="to")
    # The secondary filters stay folded (first on a phone, results come before nine fields).
    with st.expander("More filters", key="more_filters"):
        c1, c2, c3 = st.columns(3)
        types = c1.multiselect(
            "Type", [t.value for t in TxType], format_func=lambda t: TxType(t).label, key="type"
        )
        statuses = c2.multiselect("Status", fmt.STATUSES, format_func=fmt.status_badge, key="status")
        merchant = c3.selectbox(
            "Merchant", ["", *opts.merchants], format_func=lambda m: m or "All", key="merchant"
        )
        c5, c6, c7, c8 = st.columns(4)
        currency = c5.selectbox(
            "Currency", ["", *opts.currencies], format_func=lambda c: c or "All", key="currency"
        )
        brand = c6.selectbox(
            "Brand / method", ["", *opts.brands], format_func=lambda b: b or "All", key="brand"
        )
        min_amount = c7.text_input("Amount from", key="min", placeholder="e.g. 10.00")
        max_amount = c8.text_input("Amount to", key="max", placeholder="e.g. 500")
        visible = views_panel.choose_columns()
    active = sum(bool(v) for v in (types, statuses, merchant, currency, brand, min_amount, max_amount))
    if active:
        st.caption(f"{active} more filter{'s' if active > 1 else ''} active (under More filters).")
views_panel.panel(ctx, user, choices, search_url.DEFAULT_PERIOD)
found = websession.last_validated()
if found and st.session_state.get(_FOCUSED) != found[1]:
    st.session_state[_FOCUSED] = found[1]  # once per sign-in: the search box gets the focus
    focus("q", always=True)  # the sign-in form, which held the focus, is gone

try:
    date_from, date_to = fmt.period_bounds(period, start, end, ctx.now())
    filters = search.parse_filters(
        types=types,
        statuses=statuses,
        date_from=date_from,
        date_to=date_to,
        merchant=merchant,
        currency=currency,
        brand=brand,
        min_amount=min_amount,
        max_amount=max_amount,
        text=q,
    )
except Exception as exc:
    search_url.write_url()
    st.error(explain(exc))
    st.stop()
if filters.period_ignored:
    st.info("The search text is an identifier: it is looked up across all dates (the period is ignored).")

# The page number lives in session state and the URL; cursors of visited pages make "next" a
# keyset query. A new search starts at page 1, unless it came from the URL (a reload, a link, Back).
signature = repr(filters)
if st.session_state.get("_tx_signature") != signature:
    st.session_state["_tx_signature"] = signature
    st.session_state["_tx_cursors"] = {1: None}
    if not from_url:
        st.session_state[search_url.PAGE] = 1
page_no = st.session_state.get(search_url.PAGE, 1)
search_url.write_url()
cursors: dict[int, str | None] = st.session_state["_tx_cursors"]
try:
    result = search.search_page(
        ctx, filters, actor=user.username, page=page_no, page_size=PAGE_SIZE, after=cursors.get(page_no)
    )
    total = count(ctx.settings.database_url, filters, user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
if result.next_cursor:
    cursors[page_no + 1] = result.next_cursor


def go_to(page: int) -> None:
    st.session_state[search_url.PAGE] = page


total_text = f"{total.value:,}+" if total.capped else f"{total.value:,}"
pages = "" if total.capped else f" of {max(1, -(-total.value // PAGE_SIZE)):,}"
head, nav_prev, nav_page, nav_next = st.columns([6, 1, 2, 1], vertical_alignment="center")
head.markdown(f"**{total_text}** matching transactions")
nav_prev.button("◀ Prev", key="page_prev", disabled=page_no <= 1, on_click=go_to, args=(page_no - 1,))
nav_page.markdown(f"Page **{page_no}**{pages}")
nav_next.button("Next ▶", key="page_next", disabled=not result.has_next, on_click=go_to, args=(page_no + 1,))

if not result.rows:
    st.info("No transaction matches these filters.")
    st.stop()

frame = pd.DataFrame(
    {
        "Created (UTC)": [r.created_at.replace(tzinfo=None) for r in result.rows],
        "Type": [TxType(r.type).label for r in result.rows],
        "Status": [fmt.status_badge(r.status) for r in result.rows],
        "Amount": [fmt.money(r.amount, r.currency) for r in result.rows],
        "Transaction ID": [r.transaction_id for r in result.rows],
        "Merchant": [r.merchant for r in result.rows],
        "Card": [f"•••• {r.last4}" if r.last4 else "" for r in result.rows],
        "Customer": [fmt.email(r.customer_email) for r in result.rows],
        "Brand": [f"{r.brand} · {r.payment_method}" for r in result.rows],
        "Result code": [r.result_code for r in result.rows],
        "UUID": [r.uuid for r in result.rows],
    }
)
event = st.dataframe(
    frame[visible],
    key="tx_grid",
    on_select="rerun",
    selection_mode="single-row",
    hide_index=True,
    height=min(len(frame), 18) * 35 + 38,  # about 18 rows visible, the rest scroll
    column_config={
        "Created (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "Type": st.column_config.TextColumn(width=140),  # room for "Chargeback Reversal"
        "Amount": st.column_config.TextColumn(help="Amount and ISO currency code", alignment="right"),
    },
)
selected = event.selection.rows if event is not None else []
if selected:
    st.switch_page("pages/details.py", query_params={"uuid": result.rows[selected[0]].uuid})
st.caption("Select a row to open the transaction, or use the Transaction IDs below.")

# Open with the keyboard: Tab to a Transaction ID, then Enter.
with st.expander("Open a transaction from this page", expanded=True, key="row_links"):
    columns = st.columns(5)
    for i, row in enumerate(result.rows):
        if columns[i % 5].button(md(row.transaction_id), key=f"open_{row.uuid}", type="tertiary"):
            st.switch_page("pages/details.py", query_params={"uuid": row.uuid})

st.divider()
st.subheader("Export")
try:
    export_size = export_files.transactions_export_size(ctx, filters, actor=user.username)
except Exception as exc:
    st.error(explain(exc))
    st.stop()
export_panel.panel(
    ctx,
    key="export",
    noun="transactions",
    signature=signature + repr(visible),
    size=export_size,
    build=lambda owner, progress: export_files.export_transactions(
        ctx,
        filters,
        actor=user.username,
        owner_session=owner,
        columns=views_panel.export_fields(visible),  # the same columns as the table
        progress=progress,
    ),
)
