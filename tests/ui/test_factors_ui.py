"""After the password: forced change for admin-set passwords, second factor for admins (AppTest)."""

from __future__ import annotations

import pyotp

from bo_core.security import credentials
from bo_core.services.context import Context
from tests.factories import PASSWORD, add_user
from tests.ui.conftest import AppFactory, plain
from tests.ui.test_sign_in import sign_in


def titles(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [plain(t.value) for t in at.title]


def test_an_admin_must_set_up_totp_before_anything_else(app: AppFactory, ui_ctx: Context) -> None:
    add_user(ui_ctx, "admin", "ada")
    at = sign_in(app(), "ada", PASSWORD)
    assert titles(at) == ["Set up your second factor"]
    assert not at.dataframe and "sign_out" in [b.key for b in at.button]
    secret = at.session_state["_bo_totp_enrol"][0]
    at.text_input(key="totp_enrol_code").input(pyotp.TOTP(secret).now())
    at.button[[b.label for b in at.button].index("Turn on")].click().run()
    assert titles(at) == ["Recovery codes"]
    at.button(key="recovery_saved").click().run()
    assert titles(at) == ["Transactions"]


def test_an_enrolled_user_is_asked_for_a_code_and_a_wrong_one_is_refused(
    app: AppFactory, ui_ctx: Context
) -> None:
    add_user(ui_ctx, "viewer", "vera")
    secret, _uri = credentials.begin_totp(ui_ctx, "vera")
    codes = credentials.confirm_totp(ui_ctx, "vera", pyotp.TOTP(secret).now())
    at = sign_in(app(), "vera", PASSWORD)
    assert titles(at) == ["Second factor"]
    at.text_input(key="mfa_code_input").input("000000")
    at.button[[b.label for b in at.button].index("Verify")].click().run()
    assert "not correct" in plain(at.error[0].value) and titles(at) == ["Second factor"]
    at.text_input(key="mfa_code_input").input(codes[3])
    at.button[[b.label for b in at.button].index("Verify")].click().run()
    assert titles(at) == ["Transactions"]


def test_a_user_created_by_an_admin_chooses_a_password_at_first_sign_in(
    app: AppFactory, ui_ctx: Context
) -> None:
    add_user(ui_ctx, "viewer", "vera")
    credentials.require_password_change(ui_ctx, "vera")
    at = sign_in(app(), "vera", PASSWORD)
    assert titles(at) == ["Choose a new password"]
    at.text_input(key="pw_current").input(PASSWORD)
    at.text_input(key="pw_new").input("my very own passphrase")
    at.text_input(key="pw_again").input("my very own passphrase")
    at.button[[b.label for b in at.button].index("Change password")].click().run()
    assert titles(at) == ["Transactions"]
    assert not credentials.factors(ui_ctx, "vera").must_change_password
