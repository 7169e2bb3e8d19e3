"""Users: list, create, change role, disable or enable (users:manage)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bo_core.services import scopes, users
from bo_web import account_admin
from bo_web.auth import guard
from bo_web.context import get_ctx
from bo_web.errors import explain
from bo_web.flash import flash, show_flash
from bo_web.safe import md
from bo_web.vocab import Permission

user = guard(__file__, Permission.USERS_MANAGE)
ctx = get_ctx()
roles = sorted(ctx.settings.roles)


def act(done: str, change: object, *args: str) -> None:
    """Run one user change as the signed-in admin (the service checks users:manage)."""
    try:
        change(ctx, *args, actor=user.username)  # type: ignore[operator]
    except Exception as exc:
        st.error(explain(exc))
        return
    flash(done)
    st.rerun()


st.title("Users")
show_flash()
people = users.list_users(ctx, actor=user.username)
st.dataframe(
    pd.DataFrame(
        {
            "Username": [u.username for u in people],
            "Name": [u.name for u in people],
            "Email": [u.email or "" for u in people],
            "Role": [u.role for u in people],
            "Active": [u.active for u in people],
            "Demo": [u.is_demo for u in people],
            "Created (UTC)": [u.created_at.replace(tzinfo=None) for u in people],
        }
    ),
    hide_index=True,
)

create, change = st.columns(2)
with create, st.form("create_user", clear_on_submit=False):
    st.subheader("Create a user")
    username = st.text_input("Username", key="new_username", help="2-64 lowercase letters, digits, . _ -")
    name = st.text_input("Full name", key="new_name")
    email = st.text_input("Email", key="new_email")
    role = st.selectbox(
        "Role", roles, index=roles.index("viewer") if "viewer" in roles else 0, key="new_role"
    )
    password = st.text_input(
        "Initial password",
        type="password",
        key="new_password",
        help=f"At least {ctx.settings.password_min_length} characters",
    )
    if st.form_submit_button("Create user", type="primary"):
        act(
            f"User {username.strip().lower()} created.",
            lambda c, *a, actor: account_admin.create_with_temporary_password(
                c, username, role, password, name or None, email or None, actor=actor
            ),
        )

others = [u.username for u in people if u.username != user.username]
with change:
    st.subheader("Change a user")
    if not others:
        st.caption("No other users yet.")
    else:
        target = st.selectbox("User", others, key="target_user")
        current = next(u for u in people if u.username == target)
        st.caption(f"Role **{md(current.role)}** · {'active' if current.active else 'disabled'}")
        new_role = st.selectbox("New role", roles, index=roles.index(current.role), key="target_role")
        b1, b2 = st.columns(2)
        if b1.button("Set role", key="set_role", width="stretch"):
            act(f"{target} is now {new_role}.", users.set_role, target, new_role)
        if current.active:
            if b2.button("Disable", key="disable_user", width="stretch"):
                act(f"{target} is disabled and can no longer sign in.", users.disable_user, target)
        elif b2.button("Enable", key="enable_user", width="stretch"):
            act(f"{target} is enabled again.", users.enable_user, target)
        with st.form("reset_password", clear_on_submit=True):
            temporary = st.text_input("New temporary password", type="password", key="reset_password_value")
            if st.form_submit_button("Reset password"):
                act(
                    f"{target}'s password was reset; they choose a new one at their next sign-in.",
                    lambda c, *a, actor: account_admin.admin_reset_password(
                        c, target, temporary, actor=actor
                    ),
                )
        if st.button("End all sessions", key="revoke_sessions"):
            act(
                f"Every session of {target} has ended.",
                lambda c, *a, actor: account_admin.revoke_sessions(c, target, actor=actor),
            )

st.subheader("Merchant access")
st.caption(
    "A user sees only the merchants (or channels) assigned here; `*` is every merchant. "
    "A new user has no assignment and sees nothing. You grant only what you hold yourself."
)
if others:
    who = st.selectbox("User", others, key="scope_user")
    try:
        assigned = scopes.user_scope(ctx, who, actor=user.username).scope
    except Exception as exc:
        st.error(explain(exc))
        assigned = []
    names = [f"{n['merchant']}" + (f" / {n['channel']}" if n["channel"] else "") for n in assigned]
    st.markdown("Assigned: " + (md(", ".join(names)) if names else "nothing"))
    m_col, c_col, add_col, remove_col = st.columns([2, 2, 1, 1])
    merchant = m_col.text_input("Merchant (* for all)", key="scope_merchant")
    channel = c_col.text_input("Channel (optional)", key="scope_channel")
    if add_col.button("Assign", key="scope_assign", width="stretch"):
        act(f"{who} may now see {merchant}.", scopes.assign, who, merchant, channel or None)  # type: ignore[arg-type]
    if remove_col.button("Unassign", key="scope_unassign", width="stretch"):
        act(f"{who} no longer sees {merchant}.", scopes.unassign, who, merchant, channel or None)  # type: ignore[arg-type]
