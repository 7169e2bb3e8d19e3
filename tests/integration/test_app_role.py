"""Least privilege on PostgreSQL: the application role works, and cannot tamper.

The owner (the test server's role) migrates and grants; the application role
connects with its own credentials, as the app, the CLI and the webhook receiver
do, and tries what the outside review did with the owner's credentials.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from bo_core.db.grants import apply_grants, plan_grants
from bo_core.db.uow import Database
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import InputError
from bo_core.security import sessions
from bo_core.services import approvals, scopes
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.trail_check import verify_trails
from tests.conftest import make_context
from tests.factories import add_tx, add_user

pytestmark = pytest.mark.postgres

TAMPERING = [
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET username = 'mallory'",
    "UPDATE audit_log SET hash = prev_hash",
    "TRUNCATE audit_log",
    "DELETE FROM security_events",
    "UPDATE security_events SET actor = 'mallory'",
    "DELETE FROM transactions WHERE parent_uuid IS NOT NULL",
    "UPDATE transactions SET amount_minor = 1",
    "UPDATE transactions SET parent_uuid = NULL",
    "UPDATE transactions SET merchant = 'elsewhere'",
    "DROP TABLE audit_log",
    "CREATE TABLE shadow (id int)",
    "ALTER TABLE transactions ADD COLUMN extra int",
    "DELETE FROM approval_requests",
]


@pytest.fixture
def app_role(postgres_url: str) -> Iterator[tuple[Context, Context, str]]:
    """(owner context, application context, role name); the role is dropped afterwards."""
    owner = make_context(postgres_url)
    role, password = f"bo_app_{uuid.uuid4().hex[:8]}", secrets.token_hex(16)
    with owner.db.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    url = make_url(owner.db.url).set(
        username=role, password=password, host=make_url(owner.db.url).host or "localhost"
    )
    app = Context(Database(url.render_as_string(hide_password=False)), owner.settings)
    try:
        apply_grants(owner.db.engine, role)
        yield owner, app, role
    finally:
        app.db.dispose()
        with owner.db.engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.db.dispose()


def test_the_application_role_runs_the_back_office(app_role: tuple[Context, Context, str]) -> None:
    owner, app, _ = app_role
    analyst, manager = add_user(owner, "analyst"), add_user(owner, "manager")
    parent = add_tx(owner, "DB", amount_minor=500_000, currency="EUR")
    assert (
        run_operation(
            app, OperationRequest("refund", parent, analyst, amount="10.00", reason="requested_by_customer")
        ).outcome
        == "success"
    )
    waiting = run_operation(
        app, OperationRequest("refund", parent, analyst, amount="2000.00", reason="requested_by_customer")
    )
    assert waiting.request_id is not None
    assert approvals.approve(app, waiting.request_id, actor=manager).state == "approved"
    scopes.assign(app, analyst, "alpha", actor=SYSTEM)
    scopes.unassign(app, analyst, "alpha", actor=SYSTEM)
    token = sessions.issue(app, analyst, method="password")
    sessions.end(app, token, "sign_out")
    assert verify_trails(app, actor=SYSTEM).ok


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_application_role_cannot_tamper(app_role: tuple[Context, Context, str], statement: str) -> None:
    owner, app, _ = app_role
    user = add_user(owner, "analyst")
    parent = add_tx(owner, "DB", amount_minor=100_000)
    run_operation(
        owner, OperationRequest("refund", parent, user, amount="1.00", reason="requested_by_customer")
    )
    with (
        pytest.raises(DBAPIError, match=r"permission denied|must be owner"),
        app.db.engine.begin() as conn,
    ):
        conn.execute(text(statement))
    assert verify_trails(owner, actor=SYSTEM).ok


def test_grants_refuse_the_owner_and_unknown_roles(app_role: tuple[Context, Context, str]) -> None:
    owner, _, role = app_role
    with owner.db.engine.connect() as conn:
        me = conn.execute(text("SELECT current_user")).scalar_one()
    with pytest.raises(InputError, match="owns the tables"):
        plan_grants(owner.db.engine, me)
    with pytest.raises(InputError, match="does not exist"):
        plan_grants(owner.db.engine, "no_such_role_here")
    with pytest.raises(InputError, match="role name"):
        plan_grants(owner.db.engine, "x; DROP TABLE audit_log")
    printed = plan_grants(owner.db.engine, role)
    assert f'GRANT SELECT, INSERT ON "{_schema(owner)}"."audit_log" TO "{role}"' in printed
    assert not any("audit_log" in s and ("UPDATE" in s or "DELETE" in s) for s in printed)


def _schema(ctx: Context) -> str:
    with ctx.db.engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def test_grants_are_refused_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with pytest.raises(InputError, match="PostgreSQL only"):
        plan_grants(engine, "bo_app")
    engine.dispose()
