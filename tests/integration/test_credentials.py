"""Own password change, admin reset with forced change, TOTP with recovery codes, on both backends."""

from __future__ import annotations

import pyotp
import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import AuthenticationError, InputError
from bo_core.security import credentials, events, sessions
from bo_core.security.signin import AccountLocked
from bo_core.services import users
from bo_core.services.context import Context
from tests.factories import PASSWORD, Clock, add_user

NEW = "a completely different passphrase"


def test_a_user_changes_their_own_password_and_other_sessions_end(ctx: Context) -> None:
    add_user(ctx, "analyst", "ann")
    token = sessions.issue(ctx, "ann", method="password")
    with pytest.raises(AuthenticationError, match="current password"):
        credentials.change_own_password(ctx, "ann", "not my password", NEW)
    with pytest.raises(InputError, match="differ"):
        credentials.change_own_password(ctx, "ann", PASSWORD, PASSWORD)
    credentials.change_own_password(ctx, "ann", PASSWORD, NEW)
    assert users.authenticate(ctx, "ann", NEW).username == "ann"
    with pytest.raises(AuthenticationError):
        users.authenticate(ctx, "ann", PASSWORD)
    assert sessions.validate(ctx, token) == sessions.Refusal("password_changed")
    assert events.PASSWORD_CHANGED in [e.kind for e in events.list_security_events(ctx, username="ann")]


def test_an_admin_reset_forces_a_change_at_the_next_sign_in(ctx: Context) -> None:
    add_user(ctx, "analyst", "ann")
    token = sessions.issue(ctx, "ann", method="password")
    assert not credentials.factors(ctx, "ann").must_change_password
    credentials.admin_reset_password(ctx, "ann", "temporary passphrase 1", actor=SYSTEM)
    assert credentials.factors(ctx, "ann").must_change_password
    assert sessions.validate(ctx, token) == sessions.Refusal("password_changed")
    credentials.change_own_password(ctx, "ann", "temporary passphrase 1", NEW)
    assert not credentials.factors(ctx, "ann").must_change_password
    kinds = [e.kind for e in events.list_security_events(ctx, username="ann")]
    assert events.PASSWORD_RESET in kinds


def test_mfa_is_required_for_admins_by_default_and_configurable_per_role(ctx: Context) -> None:
    add_user(ctx, "admin", "ada")
    add_user(ctx, "viewer", "vera")
    assert credentials.factors(ctx, "ada").mfa_required
    assert not credentials.factors(ctx, "vera").needs_mfa


def _enrol(ctx: Context, username: str) -> tuple[pyotp.TOTP, list[str]]:
    secret, uri = credentials.begin_totp(ctx, username)
    assert uri.startswith("otpauth://totp/") and secret in uri
    totp = pyotp.TOTP(secret)
    codes = credentials.confirm_totp(ctx, username, totp.at(ctx.now()))
    return totp, codes


def test_totp_enrolment_codes_are_single_use(ctx: Context, clock: Clock) -> None:
    add_user(ctx, "admin", "ada")
    totp, codes = _enrol(ctx, "ada")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert credentials.factors(ctx, "ada").totp_enabled
    assert not credentials.verify_second_factor(ctx, "ada", totp.at(ctx.now()))  # used for enrolment
    clock.advance(seconds=30)
    code = totp.at(ctx.now())
    assert credentials.verify_second_factor(ctx, "ada", code)
    assert not credentials.verify_second_factor(ctx, "ada", code)  # replayed
    assert credentials.verify_second_factor(ctx, "ada", codes[0])
    assert not credentials.verify_second_factor(ctx, "ada", codes[0])  # a recovery code works once


def test_wrong_codes_are_throttled(ctx: Context, clock: Clock) -> None:
    add_user(ctx, "admin", "ada")
    totp, _codes = _enrol(ctx, "ada")
    clock.advance(seconds=30)
    for _ in range(ctx.settings.lockout_attempts):
        assert not credentials.verify_second_factor(ctx, "ada", "000000")
    with pytest.raises(AccountLocked):
        credentials.verify_second_factor(ctx, "ada", totp.at(ctx.now()))


def test_a_wrong_first_code_does_not_turn_totp_on(ctx: Context) -> None:
    add_user(ctx, "viewer", "vera")
    credentials.begin_totp(ctx, "vera")
    with pytest.raises(AuthenticationError):
        credentials.confirm_totp(ctx, "vera", "123456x")
    assert not credentials.factors(ctx, "vera").totp_enabled
