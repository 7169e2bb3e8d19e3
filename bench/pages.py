"""Server-side page timings and app memory, in a fresh process running the real app with AppTest.

``python -m bench.pages timing URL USERNAME UUID REPEAT``: times ``AppTest.run()``
of the Transactions page and of a Details page (``?uuid=``), with warm caches
(a rerun) and with ``st.cache_data`` cleared before each run (a new search).

``python -m bench.pages memory URL USERNAME RUNS``: a search session of
``RUNS`` Transactions-page runs with changing filters and pages; reports RSS.

Both print JSON on the last line of standard output.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def _environment(url: str) -> None:
    os.environ["BO_DATABASE_URL"] = url
    os.environ.setdefault("BO_COOKIE_KEY", secrets.token_urlsafe(48))  # strong by estimated entropy
    os.environ.pop("BO_DEMO_MODE", None)
    os.chdir(ROOT)


def _app(username: str) -> Any:
    from streamlit.testing.v1 import AppTest

    from bo_core.security import sessions
    from bo_core.services.context import open_context

    # A real server-side session, held as a connection holds it right after signing in.
    ctx = open_context(migrate_if_needed=False)
    try:
        token = sessions.issue(ctx, username, method="password", mfa_done=True)
    finally:
        ctx.db.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    cookie = sessions.sign(token, os.environ["BO_COOKIE_KEY"])
    at.session_state["_bo_web_session"] = {"cookie": cookie, "conn": "no-client"}
    return at


def _check(at: Any, where: str) -> None:
    if at.exception:
        raise RuntimeError(f"{where}: {[e.value for e in at.exception]}")


def _timed_runs(at: Any, repeat: int, *, cold: bool) -> list[float]:
    import streamlit as st

    samples = []
    for _ in range(repeat):
        if cold:
            st.cache_data.clear()
        t0 = time.perf_counter()
        at.run()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def timing(url: str, username: str, uuid: str, repeat: int) -> dict[str, Any]:
    _environment(url)
    at = _app(username)
    t0 = time.perf_counter()
    at.run()
    first = (time.perf_counter() - t0) * 1000
    _check(at, "Transactions page")
    rows = len(at.dataframe[0].value) if at.dataframe else 0
    tx_warm = _timed_runs(at, repeat, cold=False)
    tx_cold = _timed_runs(at, repeat, cold=True)
    at.switch_page("pages/details.py")
    at.query_params["uuid"] = uuid
    at.run()
    _check(at, "Details page")
    titles = [t.value for t in at.title]
    details_warm = _timed_runs(at, repeat, cold=False)
    details_cold = _timed_runs(at, repeat, cold=True)
    _check(at, "Details page")
    return {
        "first_run_ms": first,
        "transactions_rows_shown": rows,
        "transactions_warm_ms": tx_warm,
        "transactions_cold_ms": tx_cold,
        "details_title": titles[0] if titles else "",
        "details_warm_ms": details_warm,
        "details_cold_ms": details_cold,
    }


def memory(url: str, username: str, runs: int) -> dict[str, Any]:
    from bench.stats import peak_rss_mb, rss_mb

    _environment(url)
    import streamlit as st  # noqa: F401 - imported before the baseline is read
    from streamlit.testing.v1 import AppTest  # noqa: F401

    import bo_core.services.search  # noqa: F401

    base = rss_mb()
    at = _app(username)
    at.run()
    _check(at, "Transactions page")
    after_first = rss_mb()
    periods = ["30d", "all", "7d", "90d"]
    texts = ["", "a", "@", "1234", "visa"]
    for i in range(runs):
        at.selectbox(key="period").set_value(periods[i % len(periods)])
        at.text_input(key="q").set_value(texts[i % len(texts)])
        at.run()
        _check(at, f"search run {i}")
        if at.button(key="page_next").disabled is False:
            at.button(key="page_next").click().run()
            _check(at, f"next page {i}")
    return {
        "base_rss_mb": base,
        "after_first_run_mb": after_first,
        "end_rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "timing":
        result = timing(argv[1], argv[2], argv[3], int(argv[4]))
    elif mode == "memory":
        result = memory(argv[1], argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
