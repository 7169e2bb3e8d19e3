"""bo: the payments back-office console. Navigation per role; pages guard themselves.

``/`` opens the Transactions page at ``/transactions``. The sidebar lists the pages
itself (``client.showSidebarNavigation`` is off so that
a freshly started server never lists the files under ``pages/`` before sign-in).
"""

from __future__ import annotations

import streamlit as st

from bo_core.services import approvals
from bo_web.auth import gate, mark_navigation_ready, request_sign_out, resume_page
from bo_web.bulk_view import may_run_operations
from bo_web.context import get_ctx
from bo_web.safe import md
from bo_web.search_url import note_page
from bo_web.vocab import Permission

st.set_page_config(page_title="bo · back office", page_icon="💳", layout="wide")
# Less empty space above each page title (a style-only st.html takes no room in the page).
st.html("<style>[data-testid=stMainBlockContainer] { padding-top: 2.5rem; }</style>")

user = gate()

transactions = st.Page("pages/transactions.py", title="Transactions", icon="🔎", url_path="transactions")


def _home() -> None:
    """``/``: the Transactions page, at its own address (so ``/transactions`` can be typed)."""
    st.switch_page(transactions, query_params={k: st.query_params.get_all(k) for k in st.query_params})


pages = {
    "home": st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
    "pages/transactions.py": transactions,
    "pages/details.py": st.Page(
        "pages/details.py", title="Transaction Details", icon="🧾", visibility="hidden"
    ),
}
waiting = approvals.open_approval_count(get_ctx(), actor=user.username)
pages["pages/approvals.py"] = st.Page(
    "pages/approvals.py", title=f"Approvals ({waiting})" if waiting else "Approvals", icon="✅"
)
if user.can(Permission.HISTORY_VIEW):
    pages["pages/history.py"] = st.Page("pages/history.py", title="Operation History", icon="📜")
if may_run_operations(user):
    pages["pages/bulk.py"] = st.Page("pages/bulk.py", title="Bulk operations", icon="📦")
if may_run_operations(user) or user.can(Permission.HISTORY_VIEW):
    pages["pages/bulk_runs.py"] = st.Page("pages/bulk_runs.py", title="Bulk runs", icon="🗂️")
if user.can(Permission.ANALYTICS_VIEW):
    pages["pages/risk.py"] = st.Page("pages/risk.py", title="Risk", icon="🚨")
if user.can(Permission.USERS_MANAGE):
    pages["pages/users.py"] = st.Page("pages/users.py", title="Users", icon="👥")
if user.can(Permission.SECURITY_EVENTS_VIEW):
    pages["pages/security_events.py"] = st.Page("pages/security_events.py", title="Security events", icon="🛡️")
pages["pages/account.py"] = st.Page("pages/account.py", title="My account", icon="🔑")

navigation = st.navigation(list(pages.values()), position="hidden")
note_page(navigation.url_path)
mark_navigation_ready()
with st.sidebar:
    for path, page in pages.items():
        if path not in {"home", "pages/details.py"}:
            st.page_link(page, icon=page.icon)
    st.divider()
    st.markdown(f"**{md(user.name)}**")
    st.caption(f"{md(user.username)} · role: {md(user.role.name)}")
    st.button("Sign out", key="sign_out", icon="🚪", on_click=request_sign_out, width="stretch")

resume = resume_page()
if resume and resume[0] in pages:
    st.switch_page(pages[resume[0]], query_params=resume[1])
navigation.run()
