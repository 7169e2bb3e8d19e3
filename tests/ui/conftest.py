"""AppTest fixtures: a temporary SQLite database per test, seen by the app through the environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bo_core.config import get_settings
from bo_core.security import sessions
from bo_core.services.context import Context
from bo_web.safe import WORD_JOINER
from tests.conftest import make_context

ROOT = Path(__file__).resolve().parents[2]
COOKIE_KEY = "Xq3vT9mR2pL8wZk4yN6bH1cF5jD7sA0eG-uVtYiOo_PaKlMnBxCzQwErTyUiOpAs"
TIMEOUT = 30


def _reset_caches() -> None:
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def ui_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """A migrated SQLite file the app opens via ``BO_DATABASE_URL`` (production mode)."""
    url = f"sqlite:///{tmp_path / 'bo.sqlite3'}"
    monkeypatch.setenv("BO_DATABASE_URL", url)
    monkeypatch.setenv("BO_COOKIE_KEY", COOKIE_KEY)
    monkeypatch.delenv("BO_DEMO_MODE", raising=False)
    monkeypatch.chdir(ROOT)
    _reset_caches()
    ctx = make_context(url)
    yield ctx
    ctx.db.dispose()
    _reset_caches()


AppFactory = Callable[..., AppTest]


def sign_in_as(at: AppTest, ctx: Context, username: str) -> str:
    """A real server-side session for ``username``, held as this AppTest's connection holds it
    right after signing in (AppTest has no websocket, so no cookie header). Returns the token."""
    token = sessions.issue(ctx, username, method="password", mfa_done=True)
    at.session_state["_bo_web_session"] = {"cookie": sessions.sign(token, COOKIE_KEY), "conn": "no-client"}
    return token


@pytest.fixture
def app(ui_ctx: Context) -> AppFactory:
    """``app(username=None, page=None, **query)`` → an AppTest that has run once."""

    def make(username: str | None = None, page: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        if username is not None:
            sign_in_as(at, ui_ctx, username)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(page)
            for key, value in query.items():
                at.query_params[key] = value
            at.run()
        return at

    return make


def plain(text: str) -> str:
    """What a person reads in a markdown element that shows data (see ``bo_web.safe.md``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(WORD_JOINER, "")


def export_text(at: AppTest, key: str = "export") -> str:
    """The text of the export file the page prepared (its temporary file, BOM removed)."""
    import tempfile

    made = at.session_state[f"_{key}_file"][1]
    folder = Path(get_settings().export_dir or Path(tempfile.gettempdir()) / "bo-exports")
    return (folder / f"{made.token}.csv").read_text(encoding="utf-8-sig")
