"""The service context for Streamlit, one per process and database URL.

Also tells the core where a script run's records come from: the web, and the
signed-in session (``bo_core.services.origin``).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bo_core.config import get_settings
from bo_core.domain.errors import ConfigurationError
from bo_core.services.context import Context, open_context
from bo_core.services.origin import Origin, register_fallback

SESSION_REF = "_bo_session_ref"  # set by the guard once the session is validated


def _web_origin() -> Origin | None:
    """Inside a Streamlit script run (callbacks included): the web, and this browser session."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    ref = st.session_state.get(SESSION_REF)
    return Origin("web", session_ref=ref if isinstance(ref, str) else None)


register_fallback(_web_origin)


@st.cache_resource(show_spinner="Opening the database…")
def _context_for(database_url: str, demo_mode: bool) -> Context:
    ctx = open_context(get_settings())
    if demo_mode:
        from bo_core.demo import create_demo_users, ensure_demo
        from bo_core.security.demo_guard import check_demo_database

        check_demo_database(ctx)  # raises ConfigurationError: demo mode on a real database

        ensure_demo(ctx, transactions=3000)
        create_demo_users(ctx)
    return ctx


def get_ctx() -> Context:
    st.secrets.load_if_toml_exists()  # root-level secrets such as BO_DATABASE_URL become env vars
    try:
        settings = get_settings()
    except ConfigurationError as exc:  # a missing or malformed setting stops the app, named
        st.error(f"bo cannot start: {exc.message}")
        st.stop()
    return _context_for(settings.database_url, settings.demo_mode)


def data_changed() -> None:
    """Forget cached query results after a write."""
    st.cache_data.clear()
