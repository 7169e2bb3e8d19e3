"""Sign-in throttling: atomic attempt reservation, lockout policy, address throttle, events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import bcrypt
import pytest
from sqlalchemy import func, select

from bo_core.db.models import LoginThrottle
from bo_core.domain.errors import AuthenticationError
from bo_core.security import events, signin, throttle
from bo_core.services import users
from bo_core.services.context import Context
from tests.conftest import make_context
from tests.factories import PASSWORD, Clock, add_user


def _checks_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the bcrypt checks that really run (the expensive step a guess needs)."""
    calls: list[int] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(1)
        time.sleep(0.02)  # widen the race window between reservation and check
        return real(password, hashed)

    monkeypatch.setattr(signin.bcrypt, "checkpw", counting)
    return calls


@pytest.fixture
def parallel_ctx(db_url: str) -> Iterator[Context]:
    """Real wall clock (the threads share it), PCI limit of 10 attempts."""
    context = make_context(db_url, lockout_attempts=10, address_attempts=1000)
    yield context
    context.db.dispose()


def test_thirty_parallel_guesses_check_at_most_the_limit(
    parallel_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(parallel_ctx, "admin", "ada")
    checks = _checks_counter(monkeypatch)
    outcomes: list[str] = []
    barrier = threading.Barrier(30)

    def guess(i: int) -> None:
        barrier.wait()
        try:
            users.authenticate(parallel_ctx, "ada", f"wrong-guess-{i:04d}")
        except signin.AccountLocked:
            outcomes.append("locked")
        except AuthenticationError:
            outcomes.append("wrong")
        except Exception as exc:  # a crash would leave the attempt uncounted
            outcomes.append(f"crash: {exc!r}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [o for o in outcomes if o.startswith("crash")], outcomes
    assert len(outcomes) == 30
    assert len(checks) <= parallel_ctx.settings.lockout_attempts
    assert users.is_locked(parallel_ctx, "ada")
    with pytest.raises(signin.AccountLocked, match="locked"):
        users.authenticate(parallel_ctx, "ada", PASSWORD)
    kinds = [e.kind for e in events.list_security_events(parallel_ctx, username="ada")]
    assert kinds.count(events.LOCKOUT) == 1


def test_the_password_is_checked_outside_any_write_transaction(
    sqlite_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While bcrypt runs, another connection can write (SQLite's write lock is free)."""
    add_user(sqlite_ctx, "viewer", "vera")
    free_while_hashing: list[bool] = []
    real = bcrypt.checkpw

    def probing(password: bytes, hashed: bytes) -> bool:
        conn = sqlite_ctx.db.engine.raw_connection()
        try:
            conn.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]
            conn.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
            conn.execute("ROLLBACK")  # type: ignore[attr-defined]
            free_while_hashing.append(True)
        except Exception:
            free_while_hashing.append(False)
        finally:
            conn.close()
        return real(password, hashed)

    monkeypatch.setattr(signin.bcrypt, "checkpw", probing)
    users.authenticate(sqlite_ctx, "vera", PASSWORD)
    with pytest.raises(AuthenticationError):
        users.authenticate(sqlite_ctx, "vera", "wrong password here")
    assert free_while_hashing == [True, True]


def test_defaults_meet_pci_dss(ctx: Context) -> None:
    from bo_core.config import Settings

    defaults = Settings(database_url="sqlite://", roles={})
    assert defaults.lockout_attempts <= 10
    assert defaults.lockout_minutes >= 30
    assert defaults.session_idle_minutes <= 15


def test_a_lockout_is_shown_as_such_and_lasts_the_lockout_minutes(ctx: Context, clock: Clock) -> None:
    add_user(ctx, "viewer", "vera")
    limit = ctx.settings.lockout_attempts
    for _ in range(limit - 1):
        with pytest.raises(AuthenticationError, match="incorrect"):
            users.authenticate(ctx, "vera", "wrong password here")
    with pytest.raises(signin.AccountLocked, match="now locked"):
        users.authenticate(ctx, "vera", "wrong password here")
    with pytest.raises(signin.AccountLocked, match="locked for 30 more minute"):
        users.authenticate(ctx, "vera", PASSWORD)
    clock.advance(minutes=29)
    with pytest.raises(signin.AccountLocked):
        users.authenticate(ctx, "vera", PASSWORD)
    clock.advance(minutes=2)
    assert users.authenticate(ctx, "vera", PASSWORD).username == "vera"
    assert not users.is_locked(ctx, "vera")


def test_success_clears_the_account_counter(ctx: Context) -> None:
    add_user(ctx, "viewer", "vera")
    for _ in range(ctx.settings.lockout_attempts - 1):
        with pytest.raises(AuthenticationError):
            users.authenticate(ctx, "vera", "wrong password here")
    users.authenticate(ctx, "vera", PASSWORD)
    for _ in range(ctx.settings.lockout_attempts - 1):
        with pytest.raises(AuthenticationError, match="incorrect"):
            users.authenticate(ctx, "vera", "wrong password here")


def test_one_address_is_throttled_across_many_accounts(db_url: str, clock: Clock) -> None:
    ctx = make_context(db_url, clock, address_attempts=8)
    try:
        for i in range(8):
            with pytest.raises(AuthenticationError, match="incorrect"):
                users.authenticate(ctx, f"name{i}", "wrong password here", address="203.0.113.9")
        with pytest.raises(signin.AccountLocked, match="network address"):
            users.authenticate(ctx, "another", "wrong password here", address="203.0.113.9")
        add_user(ctx, "viewer", "vera")
        # Another address is not affected; the account itself was never guessed.
        assert users.authenticate(ctx, "vera", PASSWORD, address="198.51.100.7").username == "vera"
        kinds = [e.kind for e in events.list_security_events(ctx)]
        assert events.ADDRESS_THROTTLED in kinds
    finally:
        ctx.db.dispose()


def test_successful_sign_ins_do_not_use_up_their_address(db_url: str, clock: Clock) -> None:
    ctx = make_context(db_url, clock, address_attempts=3)
    try:
        add_user(ctx, "viewer", "vera")
        for _ in range(10):
            users.authenticate(ctx, "vera", PASSWORD, address="192.0.2.1")
    finally:
        ctx.db.dispose()


def test_throttle_rows_of_unknown_names_are_purged_after_the_window(ctx: Context, clock: Clock) -> None:
    add_user(ctx, "viewer", "vera")
    for i in range(20):
        with pytest.raises(AuthenticationError):
            users.authenticate(ctx, f"nobody-{i}", "wrong password here")
    clock.advance(minutes=ctx.settings.lockout_minutes + 1)
    users.authenticate(ctx, "vera", PASSWORD)  # a successful sign-in purges expired rows
    with ctx.db.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(LoginThrottle)).scalar_one() == 0


def test_unknown_names_cost_a_hash_of_the_configured_cost(ctx: Context) -> None:
    assert bcrypt.checkpw(b"x", signin.dummy_hash(ctx.settings.bcrypt_rounds)) is False
    assert signin.dummy_hash(5).startswith(b"$2b$05$")
    assert signin.dummy_hash(ctx.settings.bcrypt_rounds).startswith(
        f"$2b${ctx.settings.bcrypt_rounds:02d}$".encode()
    )


def test_reservation_statement_counts_every_attempt(ctx: Context) -> None:
    now = ctx.now()
    with ctx.db.uow(write=True) as uow:
        counts = [throttle.reserve(uow.session, "k", now, timedelta(minutes=30), 3).count for _ in range(5)]
        uow.commit()
    assert counts == [1, 2, 3, 4, 5]
