"""Transactions page glue: the column chooser and the saved-views panel (``services.views``).

The page's filter widgets hold their values in session state (``search_url`` keeps
the URL in step), so a view is applied by setting those values (in a callback or
before they render).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import streamlit as st

from bo_core.services import views
from bo_core.services.context import Context
from bo_web.auth import SessionUser
from bo_web.errors import explain
from bo_web.flash import flash

# Display column -> the export fields it stands for (``search.CSV_HEADER`` names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "Created (UTC)": ("created_at",),
    "Type": ("type",),
    "Status": ("status",),
    "Amount": ("amount", "currency"),
    "Transaction ID": ("transaction_id",),
    "Merchant": ("merchant",),
    "Card": ("last4",),
    "Customer": ("customer_email",),
    "Brand": ("brand", "payment_method"),
    "Result code": ("result_code",),
    "UUID": ("uuid",),
}
LIST_KEYS = {"type", "status", "cols"}
DATE_KEYS = {"from", "to"}
_APPLIED = "_views_applied"


def choose_columns() -> list[str]:
    # The value comes from session state (``search_url`` puts it there from the URL).
    chosen = st.multiselect("Columns (in this order)", list(COLUMNS), key="cols")
    return [c for c in chosen if c in COLUMNS] or list(COLUMNS)


def export_fields(columns: Sequence[str]) -> list[str]:
    return [f for c in columns for f in COLUMNS[c]]


def current_params() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in views.PARAMS:
        value = st.session_state.get(key)
        if isinstance(value, list) and value:
            out[key] = [str(v) for v in value]
        elif isinstance(value, date):
            out[key] = [value.isoformat()]
        elif isinstance(value, str) and value:
            out[key] = [value]
    return out


def _apply(params: Mapping[str, list[str]], options: Mapping[str, Sequence[str]], period: str) -> None:
    """Set every bound widget to the view's value (or its default); unknown choices are dropped."""
    for key in views.PARAMS:
        values = list(params.get(key, []))
        allowed = options.get(key)
        if allowed is not None:
            values = [v for v in values if v in allowed]
        if key in LIST_KEYS:
            st.session_state[key] = values if values or key != "cols" else list(COLUMNS)
        elif key in DATE_KEYS:
            try:
                st.session_state[key] = date.fromisoformat(values[0]) if values else None
            except ValueError:
                st.session_state[key] = None
        elif key == "period":
            st.session_state[key] = values[0] if values else period
        else:
            st.session_state[key] = values[0] if values else ""


def apply_on_open(ctx: Context, user: SessionUser, options: Mapping[str, Sequence[str]], period: str) -> None:
    """Before the widgets render: a ``?view=<id>`` link, else (once) the user's default view."""
    view_id = st.query_params.get("view")
    try:
        if view_id:
            del st.query_params["view"]
            _apply(views.open_view(ctx, view_id, actor=user.username).params, options, period)
        elif not st.session_state.get(_APPLIED) and not st.query_params:
            default = views.default_view(ctx, actor=user.username)
            if default is not None:
                _apply(default.params, options, period)
    except Exception as exc:
        st.error(explain(exc))
    st.session_state[_APPLIED] = True


def panel(ctx: Context, user: SessionUser, options: Mapping[str, Sequence[str]], period: str) -> None:
    """Open, save, rename, share, make default and delete saved views."""
    with st.expander("Saved views"):
        try:
            found = views.list_views(ctx, actor=user.username)
        except Exception as exc:
            st.error(explain(exc))
            return
        labels = {
            v.id: v.name
            + (" (default)" if v.is_default else "")
            + ("" if v.editable else f" · shared by {v.owner}, read-only")
            for v in found
        }
        if found:
            ids: list[str] = list(labels)
            chosen = st.selectbox("View", ids, format_func=lambda i: labels[i], key="view_pick")
            view = next(v for v in found if v.id == chosen)
            c1, c2, c3, c4 = st.columns(4)
            c1.button("Open", key="view_open", on_click=_apply, args=(view.params, options, period))
            if view.editable:
                c2.button(
                    "Make default", key="view_default", on_click=_act, args=(ctx, user, "default", view.id)
                )
                c3.button("Delete", key="view_delete", on_click=_act, args=(ctx, user, "delete", view.id))
                vis = c4.selectbox(
                    "Shared",
                    views.VISIBILITIES,
                    index=views.VISIBILITIES.index(view.visibility),
                    key=f"view_vis_{view.id}",
                )
                if vis != view.visibility:
                    _act(ctx, user, "share", view.id, vis)
                    st.rerun()
                st.text_input("Rename to", key="view_rename", max_chars=80)
                st.button("Rename", key="view_rename_go", on_click=_act, args=(ctx, user, "rename", view.id))
            if view.visibility != "private":
                st.caption("Link to this view (for anyone signed in):")
                st.code(f"/?view={view.id}", language=None)
        st.text_input("Save the current filters and columns as", key="view_name", max_chars=80)
        st.button("Save view", key="view_save", on_click=_act, args=(ctx, user, "save", ""))


def _act(ctx: Context, user: SessionUser, action: str, target: str, extra: str = "") -> None:
    try:
        if action == "save":
            name = st.session_state.get("view_name", "")
            views.save_view(ctx, name, current_params(), actor=user.username)
            flash(f"View {str(name).strip()!r} saved.")
        elif action == "default":
            views.set_default(ctx, target, actor=user.username)
        elif action == "delete":
            views.delete_view(ctx, target, actor=user.username)
        elif action == "share":
            views.share_view(ctx, target, extra, actor=user.username)
        elif action == "rename":
            views.rename_view(ctx, target, st.session_state.get("view_rename", ""), actor=user.username)
    except Exception as exc:
        flash(explain(exc), "error")
