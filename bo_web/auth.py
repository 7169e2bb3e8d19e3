"""Sign-in, the session and the page guard.

Passwords are checked by ``bo_core.services.users.authenticate`` (attempts reserved
atomically in the database, shared by every replica). Sessions live on the server
(``bo_core.security.sessions``): the browser's cookie holds only a signed random
token, and every run re-validates it (``bo_web.websession``).
streamlit-authenticator's cookie manager writes and deletes that cookie; its own
JWT cookie is never read, so a forged or replayed JWT signs nobody in.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
import streamlit.components.v1 as components
import streamlit_authenticator as stauth
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bo_core.config import get_settings
from bo_core.domain.errors import AuthenticationError, ConfigurationError
from bo_core.domain.permissions import Permission, Role
from bo_core.security.audit_key import configured_key_problem
from bo_core.security.keys import weak_key_reason
from bo_core.security.origins import origin_allowed
from bo_core.security.origins import setting_problems as origin_setting_problems
from bo_core.services import users
from bo_core.services.context import Context
from bo_core.services.origin import session_ref
from bo_web import sso as sso_web
from bo_web import websession
from bo_web.context import SESSION_REF, get_ctx
from bo_web.factors import second_step
from bo_web.flash import flash, keep, show_flash, show_kept
from bo_web.focus import focus

COOKIE_NAME = websession.COOKIE_NAME
DEMO_COOKIE_KEY = "bo-demo-mode-cookie-key-public-never-use-in-production"
_SIGN_OUT = "_sign_out"
_RESUME = "_resume_page"
NAVIGATION_READY = "_navigation_ready"
_STARTUP_CHECKED = "_startup_checked"
_PAGES = Path(__file__).resolve().parents[1] / "pages"


@dataclass(frozen=True)
class SessionUser:
    username: str
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return self.role.can(permission)


def _secret(section: str, key: str) -> str | None:
    try:
        value = st.secrets[section][key]
    except Exception:  # no secrets file, or no such entry
        return None
    return str(value) if value is not None else None


def cookie_key(demo_mode: bool) -> str | None:
    key = _secret("auth", "cookie_key") or os.environ.get("BO_COOKIE_KEY")
    return key or (DEMO_COOKIE_KEY if demo_mode else None)


def startup_problems(ctx: Context) -> list[str]:
    """Why production mode must not serve anything; empty when all is well."""
    if ctx.settings.demo_mode:
        return []
    problems = []
    key = cookie_key(demo_mode=False)
    weak = weak_key_reason(key)
    if weak:
        problems.append(
            f"{weak} Set `[auth] cookie_key` in `.streamlit/secrets.toml` "
            "or the environment variable `BO_COOKIE_KEY`."
        )
    audit_key_problem = configured_key_problem()
    if audit_key_problem:
        problems.append(
            f"{audit_key_problem} Set `BO_AUDIT_KEY` (e.g. `bo secrets generate`), and keep it with the "
            "other secrets, not with the database."
        )
    problems.extend(origin_setting_problems(ctx.settings.allowed_origins, ctx.settings.allowed_hosts))
    problems.extend(sso_web.setting_problems(ctx))
    if users.demo_users_exist(ctx):
        problems.append(
            "This database contains the demo users, whose passwords are public. "
            "Remove them, or start with `BO_DEMO_MODE=1` for a demonstration."
        )
    return problems


def _refuse_foreign_origin(ctx: Context) -> None:
    """Every run: act only for a page of an allowed origin (a page on another port is not one)."""
    headers = websession.request_headers()
    if not headers:  # no websocket client (AppTest)
        return
    s = ctx.settings
    if not origin_allowed(headers.get("Origin"), headers.get("Host"), s.allowed_origins, s.allowed_hosts):
        st.error(
            "bo does not accept requests from this page's origin. Open bo at its own address "
            "(administrators: see BO_ALLOWED_ORIGINS and BO_ALLOWED_HOSTS)."
        )
        st.stop()


def _refuse_to_start(problems: list[str], mode: str = "production") -> None:
    st.error(f"**bo refuses to start in {mode} mode.**\n\n" + "\n".join(f"- {p}" for p in problems))
    st.stop()


def _authenticator(ctx: Context) -> Any:
    """streamlit-authenticator, used for its cookie manager only (no credentials: its own
    cookie sign-in can never succeed)."""
    return stauth.Authenticate(
        {"usernames": {}},
        COOKIE_NAME,
        _signing_key(ctx),
        ctx.settings.session_hours / 24,
        auto_hash=False,
        login_sleep_time=0,
    )


def cookie_key_for(ctx: Context) -> str:
    return _signing_key(ctx)


def _signing_key(ctx: Context) -> str:
    key = cookie_key(ctx.settings.demo_mode)
    assert key, "startup_problems refuses a missing key"
    return key


def _write_cookie(ctx: Context, value: str | None) -> None:
    """Write (or delete) the session cookie in the browser: SameSite=Strict, Secure unless disabled.

    Called inside the run's cookie slot (see ``gate``), one fixed place in the page, so that
    what is drawn here never moves the forms below it.

    The write is a script in a zero-height frame of this origin: it reports nothing back, so
    it starts no run of its own (a component that answers would start one, and a click made
    meanwhile, say on a page link just after signing in, would be lost to it). Deleting at
    sign-out goes through streamlit-authenticator's cookie manager."""
    if value is None:
        manager = _authenticator(ctx).cookie_controller.cookie_model.cookie_manager
        with contextlib.suppress(KeyError):
            manager.delete(COOKIE_NAME)
        return
    if websession.request_cookies().get(COOKIE_NAME) == value:
        return  # the browser sent it with this connection: it holds it already
    attributes = f"path=/; max-age={int(ctx.settings.session_hours * 3600)}; samesite=strict"
    if _secure_cookie():
        attributes += "; secure"
    cookie = json.dumps(f"{COOKIE_NAME}={value}; {attributes}")  # a JavaScript string literal
    components.html(f"<script>window.parent.document.cookie = {cookie};</script>", height=0)


def _secure_cookie() -> bool:
    return os.environ.get("BO_COOKIE_SECURE", "1").lower() not in {"0", "false", "no"}


def _demo_hint() -> str:
    from bo_core.demo import DEMO_USERS

    accounts = ", ".join(f"`{name}` / `{password}` ({role})" for name, role, password in DEMO_USERS)
    return f"**Demo mode.** Sign in with one of the demo accounts: {accounts}."


def _sign_in_page(ctx: Context, auth: Any) -> None:
    st.title("bo · payments back office")
    with st.container():  # one fixed place, message or not: the form below never moves
        show_flash()
    if ctx.settings.demo_mode:
        st.info(_demo_hint(), icon="🧪")
    sso_web.offer_sign_in()
    with st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("Username", key="sign_in_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    focus("sign_in_username")
    if not submitted:
        show_kept("sign_in")
        return
    keep("sign_in", None)
    address = websession.client_address(ctx.settings.trusted_proxies)
    try:
        user = users.authenticate(ctx, username, password, address=address)
    except AuthenticationError as exc:
        keep("sign_in", exc.message)
        show_kept("sign_in")
        return
    websession.start(
        ctx, _signing_key(ctx), user.username, method="password", address=address, mfa_done=False
    )
    st.session_state.update(
        {"authentication_status": True, "username": user.username, "name": user.name, "roles": [user.role]}
    )
    st.rerun()


def _single_sign_on(ctx: Context) -> None:
    """Someone the identity provider just sent back: a bo session of their own, or the refusal
    shown on the sign-in page (``bo_web.sso``, rules in ``bo_core.security.sso``)."""
    if sso_web.adopt(ctx, _signing_key(ctx)):
        st.rerun()


def request_sign_out() -> None:
    st.session_state[_SIGN_OUT] = True


def _forget_session() -> None:
    st.session_state[SESSION_REF] = None
    for key in ("authentication_status", "username", "name", "roles"):
        st.session_state[key] = None
    keep("mfa_code", None)


def _current_user(ctx: Context) -> SessionUser | None:
    """The signed-in user of this run: a live server-side session, re-read on every run."""
    found = websession.current(ctx, _signing_key(ctx))
    if found is None:
        return None
    live, _token = found
    st.session_state[SESSION_REF] = session_ref(live.id)  # names this session in the audit records
    try:
        role = ctx.settings.role(live.role)
    except ConfigurationError:
        flash("Your role is not configured. Ask an administrator.", "warning")
        return None
    st.session_state.update(
        {"authentication_status": True, "username": live.username, "name": live.name, "roles": [live.role]}
    )
    return SessionUser(live.username, live.name, role)


def gate(*, hold_cookie: bool = True) -> SessionUser:
    """Return the signed-in user, or render the sign-in page and stop the run.

    ``hold_cookie``: write the session cookie into the browser if it lacks it (once per run:
    ``app.py`` does it, the page guards do not)."""
    try:
        ctx = get_ctx()
    except ConfigurationError as exc:
        _refuse_to_start([exc.message], "demo" if get_settings().demo_mode else "production")
        raise
    if not st.session_state.get(_STARTUP_CHECKED):
        # Checked once per session (it reads the database); a refusal is re-checked on every run.
        problems = startup_problems(ctx)
        if problems:
            _refuse_to_start(problems)
        st.session_state[_STARTUP_CHECKED] = True
    _refuse_foreign_origin(ctx)
    cookie_slot = st.container()  # drawn on every run, written into only when the cookie changes
    if st.session_state.pop(_SIGN_OUT, False):
        websession.end_current(ctx, _signing_key(ctx), "sign_out")
        _forget_session()
        with cookie_slot:
            _write_cookie(ctx, None)
        flash("You are signed out.", "info")
        sso_web.end_identity()
    user = _current_user(ctx)
    if user is None:
        _forget_session()
        remember_requested_page()
        _single_sign_on(ctx)
        _sign_in_page(ctx, None)
        st.stop()
    held = websession.cookie_to_hold() if hold_cookie else None
    if held:
        with cookie_slot:
            _write_cookie(ctx, held)
    if not second_step(ctx, _signing_key(ctx), user.username):
        st.button("Sign out", key="sign_out", icon="🚪", on_click=request_sign_out)
        st.stop()
    return user


def guard(page: str, permission: Permission = Permission.TRANSACTIONS_VIEW) -> SessionUser:
    """First line of every page: signed in, and the role grants ``permission``.

    ``page`` is the page script's own ``__file__``. A page opened by URL on a
    freshly started server runs without ``app.py`` (no navigation, no sidebar);
    once signed in, it is reopened through ``app.py`` with the same query
    parameters.
    """
    user = gate(hold_cookie=not st.session_state.get(NAVIGATION_READY))
    if not user.can(permission):
        st.error(f"Your role ({user.role.name}) does not give access to this page.")
        st.stop()
    if not st.session_state.get(NAVIGATION_READY):
        st.session_state[_RESUME] = (f"pages/{Path(page).name}", _query())
        st.switch_page("app.py")
    return user


def mark_navigation_ready() -> None:
    st.session_state[NAVIGATION_READY] = True


def resume_page() -> tuple[str, dict[str, list[str]]] | None:
    """The page a URL asked for while signed out (or before the navigation existed), once."""
    resume: tuple[str, dict[str, list[str]]] | None = st.session_state.pop(_RESUME, None)
    return resume


def remember_requested_page() -> None:
    """Signed out: keep the page and query the browser's address names (``/details?uuid=…``)
    so that ``app.py`` opens it after sign-in, on a fresh server or not. The first address of
    the signed-out visit counts; ``app.py`` opens only pages of the signed-in user's navigation."""
    if st.session_state.get(_RESUME):
        return
    name = requested_page_name()
    if name:
        st.session_state[_RESUME] = (f"pages/{name}.py", _query())


def requested_page_name() -> str | None:
    """The page file named by the last segment of the browser's address, if there is one."""
    run = get_script_run_ctx()
    info = run.context_info if run is not None else None
    url = info.url if info is not None and info.HasField("url") else ""
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not re.fullmatch(r"[a-z_]{1,40}", name) or not (_PAGES / f"{name}.py").is_file():
        return None
    return name


def _query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}
