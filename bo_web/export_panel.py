"""The export block of a page: row count first, then a temporary file the session downloads.

The file is built by ``bo_core.services.export_files`` (chunked, masked, audited,
capped) and served by ``bo_web.export_download`` to this browser session only.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import streamlit as st

from bo_core.services import export_files
from bo_core.services.context import Context
from bo_core.services.search import CountResult
from bo_web import websession
from bo_web.errors import explain
from bo_web.export_download import download_url
from bo_web.local_time import both, browser_zone

Build = Callable[[str, Callable[[int], object]], export_files.ExportFile]

_LINK_STYLE = (
    "display:inline-block;padding:0.4rem 0.9rem;border-radius:0.5rem;"
    "border:1px solid rgba(49,51,63,0.3);text-decoration:none;font-weight:600"
)


def owner_session() -> str | None:
    """The signed-in browser session that will own the file (its server-side session id)."""
    found = websession.last_validated()
    return found[0].id if found else None


def panel(ctx: Context, *, key: str, noun: str, signature: str, size: CountResult, build: Build) -> None:
    """Row count, a "Prepare" button, and once built the download link for this session."""
    cap = ctx.settings.export_max_rows
    if size.capped:
        st.warning(
            f"More than {cap:,} {noun} match: narrow the filters to export them "
            f"(exports are capped at {cap:,} rows)."
        )
        return
    st.caption(f"The export will hold **{size.value:,}** {noun} (CSV, UTF-8; at most {cap:,} rows).")
    owner = owner_session()
    state_key = f"_{key}_file"
    if st.button(
        f"Prepare CSV of {size.value:,} {noun}",
        key=f"{key}_prepare",
        icon="📄",
        disabled=owner is None or size.value == 0,
    ):
        previous = st.session_state.pop(state_key, None)
        if previous is not None:
            export_files.remove_export(ctx, previous[1].token)
        bar = st.progress(0.0, text="Exporting…")
        expected = max(1, size.value)
        try:
            assert owner is not None
            built = build(owner, lambda n: bar.progress(min(1.0, n / expected), text=f"Exported {n:,} rows…"))
        except Exception as exc:
            bar.empty()
            st.error(explain(exc))
            return
        bar.empty()
        st.session_state[state_key] = (signature, built)
    if owner is None:
        st.caption("Exports are downloaded by a signed-in browser session.")
    held = st.session_state.get(state_key)
    if held is None or held[0] != signature:
        return
    made: export_files.ExportFile = held[1]
    url = download_url(made.token)
    name = escape(made.file_name)
    st.html(
        f'<a href="{url}" download="{name}" class="bo-export-link" style="{_LINK_STYLE}">'
        f"⬇️ Download {escape(f'{made.rows:,}')} {escape(noun)} ({name})</a>"
    )
    zone = browser_zone()
    st.caption(
        f"Prepared {both(made.created_at, zone)}; downloadable once, by this session, "
        f"until {both(made.expires_at, zone)}."
    )
