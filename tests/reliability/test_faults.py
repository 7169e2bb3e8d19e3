"""Faults in the middle of an operation leave nothing half-written.

A failure is injected at each step of ``run_operation`` (an exception raised
from the checkpoint, the process killed with SIGKILL, the PostgreSQL backend
terminated by the server). Each time: the caller sees the failure, no child
and no audit record remain, and a retry with the same idempotency key books
the operation exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from bo_core.domain.errors import DatabaseUnavailable
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from tests.conftest import make_context, postgres_base_url
from tests.factories import add_tx, add_user
from tests.reliability._support import REPO, assert_chain_ok, record
from tests.rows import audit_rows, children, counts

pytestmark = pytest.mark.slow  # kills processes and PostgreSQL backends mid-operation

SUCCESS_STEPS = ["locked", "child_written", "audit_written", "before_commit"]
REFUSAL_STEPS = ["locked", "audit_written", "before_commit"]


class InjectedFault(RuntimeError):
    pass


def fail_at(step: str) -> Any:
    def checkpoint(name: str) -> None:
        if name == step:
            raise InjectedFault(f"fault injected at {step}")

    return checkpoint


def _retry_books_once(ctx: Context, request: OperationRequest, *, expect_ok: bool) -> None:
    first = run_operation(ctx, request)
    again = run_operation(ctx, request)
    assert first.ok is expect_ok and not first.replayed
    assert again.replayed and again.uuid == first.uuid and again.outcome == first.outcome
    assert len(children(ctx, request.parent_uuid)) == (1 if expect_ok else 0)
    assert len(audit_rows(ctx, request.parent_uuid)) == 1
    assert_chain_ok(ctx)


@pytest.mark.parametrize("step", SUCCESS_STEPS)
def test_exception_at_each_step_of_a_successful_operation_leaves_nothing(ctx: Context, step: str) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 10_000)
    request = OperationRequest(
        "refund", parent, user, amount="25.00", idempotency_key=f"k-{step}", reason="requested_by_customer"
    )
    before = counts(ctx)
    with pytest.raises(InjectedFault):
        run_operation(ctx, request, checkpoint=fail_at(step))
    assert counts(ctx) == before, "no child and no audit record after the fault"
    _retry_books_once(ctx, request, expect_ok=True)
    record("faults", ctx, kind=f"exception at {step} (success path)", injected=1, partial_rows=0, lost=0)


@pytest.mark.parametrize("step", REFUSAL_STEPS)
def test_exception_at_each_step_of_a_refused_operation_leaves_no_audit_record(
    ctx: Context, step: str
) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 10_000)
    request = OperationRequest(
        "refund", parent, user, amount="250.00", idempotency_key=f"r-{step}", reason="requested_by_customer"
    )
    before = counts(ctx)
    with pytest.raises(InjectedFault):
        run_operation(ctx, request, checkpoint=fail_at(step))
    assert counts(ctx) == before
    _retry_books_once(ctx, request, expect_ok=False)
    record("faults", ctx, kind=f"exception at {step} (refusal path)", injected=1, partial_rows=0, lost=0)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from bo_core.config import Settings
    from bo_core.domain.permissions import load_roles
    from bo_core.services.context import open_context
    from bo_core.services.execute import OperationRequest, run_operation

    url, step, parent, user, key = sys.argv[1:6]
    ctx = open_context(Settings(database_url=url, roles=load_roles(None)), migrate_if_needed=False)

    def checkpoint(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    run_operation(ctx, OperationRequest("capture", parent, user, amount="40.00", idempotency_key=key),
                  checkpoint=checkpoint)
    """
)


@pytest.mark.parametrize("step", SUCCESS_STEPS)
def test_process_killed_at_each_step_leaves_nothing_and_the_retry_books_once(
    ctx: Context, db_url: str, step: str
) -> None:
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "PA", 10_000)
    key = f"kill-{step}"
    before = counts(ctx)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, db_url, step, parent, user, key],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-500:]
    assert counts(ctx) == before, "a killed writer leaves no child and no audit record"
    _retry_books_once(
        ctx, OperationRequest("capture", parent, user, amount="40.00", idempotency_key=key), expect_ok=True
    )
    record("faults", ctx, kind=f"SIGKILL at {step}", injected=1, partial_rows=0, lost=0)


# --- PostgreSQL: the server terminates the worker's backend mid-operation -----------------------


@pytest.fixture
def pg_ctx(postgres_url: str, clock: Any) -> Iterator[Context]:
    context = make_context(postgres_url, clock)
    yield context
    context.db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("step", SUCCESS_STEPS)
def test_postgres_backend_terminated_mid_operation_is_a_clear_error_and_retry_books_once(
    pg_ctx: Context, step: str
) -> None:
    ctx = pg_ctx
    user = add_user(ctx, "analyst")
    parent = add_tx(ctx, "DB", 10_000)
    pids: list[int] = []

    @event.listens_for(ctx.db.engine, "checkout")
    def _remember_pid(dbapi_conn: Any, _rec: Any, _proxy: Any) -> None:
        pids.append(dbapi_conn.info.backend_pid)

    admin = create_engine(postgres_base_url())
    terminated: list[bool] = []

    def checkpoint(name: str) -> None:
        if name == step:
            with admin.connect() as conn:
                terminated.append(
                    bool(conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pids[-1]}).scalar())
                )

    request = OperationRequest(
        "refund", parent, user, amount="30.00", idempotency_key=f"term-{step}", reason="requested_by_customer"
    )
    before = counts(ctx)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            run_operation(ctx, request, checkpoint=checkpoint)
    finally:
        admin.dispose()
    assert terminated == [True]
    cause = caught.value.__cause__
    assert isinstance(cause, OperationalError) and cause.connection_invalidated, "a lost connection"
    assert "terminat" in str(cause).lower()
    assert "idempotency key" in caught.value.message
    event.remove(ctx.db.engine, "checkout", _remember_pid)
    assert counts(ctx) == before
    _retry_books_once(ctx, request, expect_ok=True)
    record("faults", ctx, kind=f"pg_terminate_backend at {step}", injected=1, partial_rows=0, lost=0)
