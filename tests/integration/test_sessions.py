"""Server-side sessions on both backends: issued, validated, timed out and ended in the database."""

from __future__ import annotations

import jwt
import pytest

from bo_core.domain.authorization import SYSTEM
from bo_core.security import events, sessions
from bo_core.security.sessions import ActiveSession, Refusal
from bo_core.services import users
from bo_core.services.context import Context
from tests.conftest import make_context
from tests.factories import Clock, add_user

KEY = "Xq3vT9mR2pL8wZk4yN6bH1cF5jD7sA0eG-uVtYiOo_PaKlMnBxCzQwErTyUiOpAs"


def _live(ctx: Context, token: str) -> bool:
    return isinstance(sessions.validate(ctx, token), ActiveSession)


def test_an_issued_session_is_valid_and_knows_its_user(ctx: Context) -> None:
    add_user(ctx, "analyst", "ann")
    token = sessions.issue(ctx, "ann", method="password", address="192.0.2.1")
    live = sessions.validate(ctx, token)
    assert isinstance(live, ActiveSession)
    assert (live.username, live.role, live.method) == ("ann", "analyst", "password")
    assert events.SIGN_IN in [e.kind for e in events.list_security_events(ctx, username="ann")]


def test_a_token_the_server_never_issued_is_refused(ctx: Context) -> None:
    add_user(ctx, "admin", "ada")
    sessions.issue(ctx, "ada", method="password")
    assert sessions.validate(ctx, "A" * 43) == Refusal("unknown")


@pytest.mark.parametrize(
    "cookie",
    [
        jwt.encode({"username": "ada", "exp_date": 32503680000.0}, KEY),
        "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImFkYSJ9.",
        "A" * 43 + ".forged-mac",
        "",
        "x" * 500,
        "a.b.c.d",
        None,
        12,
    ],
)
def test_cookies_not_signed_by_the_server_are_not_tokens(cookie: object) -> None:
    assert sessions.unsign(cookie, KEY) is None


def test_the_cookie_is_bound_to_the_key(ctx: Context) -> None:
    add_user(ctx, "viewer", "vera")
    token = sessions.issue(ctx, "vera", method="password")
    cookie = sessions.sign(token, KEY)
    assert sessions.unsign(cookie, KEY) == token
    assert sessions.unsign(cookie, KEY[::-1]) is None
    assert token not in str(sessions.live_sessions(ctx, "vera")[0].id)  # only a digest is stored


def test_a_session_ended_at_sign_out_cannot_be_replayed(ctx: Context) -> None:
    add_user(ctx, "viewer", "vera")
    token = sessions.issue(ctx, "vera", method="password")
    sessions.end(ctx, token, "sign_out")
    assert sessions.validate(ctx, token) == Refusal("sign_out")
    assert events.SIGN_OUT in [e.kind for e in events.list_security_events(ctx, username="vera")]


def test_idle_timeout_of_fifteen_minutes_by_default(ctx: Context, clock: Clock) -> None:
    assert ctx.settings.session_idle_minutes == 15
    add_user(ctx, "viewer", "vera")
    token = sessions.issue(ctx, "vera", method="password")
    for _ in range(6):  # activity keeps it alive well past 15 minutes
        clock.advance(minutes=14)
        assert _live(ctx, token)
    clock.advance(minutes=15)
    assert sessions.validate(ctx, token) == Refusal("idle")
    assert sessions.validate(ctx, token) == Refusal("idle")  # ended on the server, for good


def test_absolute_timeout_from_the_sign_in_time_kept_on_the_server(ctx: Context, clock: Clock) -> None:
    add_user(ctx, "viewer", "vera")
    token = sessions.issue(ctx, "vera", method="password")
    for _ in range(ctx.settings.session_hours * 6 - 1):
        clock.advance(minutes=10)
        assert _live(ctx, token)
    clock.advance(minutes=10)
    assert sessions.validate(ctx, token) == Refusal("expired")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda ctx: users.disable_user(ctx, "ann", actor=SYSTEM), "disabled"),
        (lambda ctx: users.set_role(ctx, "ann", "viewer", actor=SYSTEM), "role_changed"),
        (
            lambda ctx: users.set_password(ctx, "ann", "a brand new passphrase", actor=SYSTEM),
            "password_changed",
        ),
        (lambda ctx: sessions.end_all(ctx, "ann", "revoked", actor="ada"), "revoked"),
    ],
)
def test_account_changes_end_every_session_at_once(ctx: Context, change: object, reason: str) -> None:
    add_user(ctx, "analyst", "ann")
    tokens = [sessions.issue(ctx, "ann", method="password") for _ in range(3)]
    change(ctx)  # type: ignore[operator]
    assert [sessions.validate(ctx, t) for t in tokens] == [Refusal(reason)] * 3
    assert events.SESSION_REVOKED in [e.kind for e in events.list_security_events(ctx, username="ann")]


def test_an_ending_on_one_replica_holds_on_another(db_url: str, clock: Clock) -> None:
    replica_a, replica_b = make_context(db_url, clock), make_context(db_url, clock)
    try:
        add_user(replica_a, "viewer", "vera")
        token = sessions.issue(replica_a, "vera", method="password")
        assert _live(replica_b, token)
        sessions.end(replica_a, token, "sign_out")
        assert not _live(replica_b, token)
    finally:
        replica_a.db.dispose()
        replica_b.db.dispose()
