"""Least privilege on PostgreSQL: what the application role may do, as GRANT statements.

Two roles: the owner runs ``bo db upgrade`` and owns every table; the
application role (the dashboard, the command line, the webhook receiver) gets
only what the services need. It owns nothing, so it cannot run DDL, disable a
trigger or truncate; on the two trails (``audit_log``, ``security_events``) it
may only read and append; on ``transactions`` it may read, insert and update the
columns the gateway moves (status and result of a pending attempt), never
delete. ``bo db grant --app-role NAME`` applies the statements (run it after
every ``bo db upgrade``), ``--print`` prints them.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from bo_core.domain.errors import InputError

APPEND_ONLY = ("audit_log", "security_events")
# The gateway's status changes of a pending attempt (bo_core.services.gateway_status, gateway_ingest).
TRANSACTION_UPDATABLE = (
    "uuid",
    "attempt_uuid",
    "result_code",
    "result_description",
    "status",
    "pending_reason",
)
NO_DELETE = ("transactions", "approval_requests", "bulk_runs", "bulk_lines")
READ_ONLY = ("alembic_version",)
_ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_role_name(name: object) -> str:
    if not isinstance(name, str) or not _ROLE.fullmatch(name):
        raise InputError("--app-role", "must be a PostgreSQL role name (letters, digits, _; at most 63)")
    return name


def grant_statements(schema: str, tables: list[str], app_role: str) -> list[str]:
    """The statements, in order: take everything back, then grant table by table."""
    role, sch = _quote(check_role_name(app_role)), _quote(schema)
    out = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {role}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {role}",
        f"GRANT USAGE ON SCHEMA {sch} TO {role}",
    ]
    for table in sorted(tables):
        name = f"{sch}.{_quote(table)}"
        if table in APPEND_ONLY:
            out.append(f"GRANT SELECT, INSERT ON {name} TO {role}")
        elif table in READ_ONLY:
            out.append(f"GRANT SELECT ON {name} TO {role}")
        elif table == "transactions":
            columns = ", ".join(_quote(c) for c in TRANSACTION_UPDATABLE)
            out.append(f"GRANT SELECT, INSERT ON {name} TO {role}")
            out.append(f"GRANT UPDATE ({columns}) ON {name} TO {role}")
        elif table in NO_DELETE:
            out.append(f"GRANT SELECT, INSERT, UPDATE ON {name} TO {role}")
        else:
            out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {role}")
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {role}")
    return out


def plan_grants(engine: Engine, app_role: str) -> list[str]:
    """The statements for the tables of the connection's current schema; refuses an unfit role."""
    if engine.dialect.name != "postgresql":
        raise InputError("--app-role", "database roles exist on PostgreSQL only (SQLite: file permissions)")
    role = check_role_name(app_role)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise InputError(
                "--app-role", f"role {role!r} does not exist; create it first (CREATE ROLE ... LOGIN)"
            )
        owner_like = conn.execute(
            text(
                "SELECT bool_or(r.rolsuper OR pg_has_role(:r, t.tableowner, 'MEMBER')) "
                "FROM pg_roles r, pg_tables t WHERE r.rolname = :r AND t.schemaname = :s"
            ),
            {"r": role, "s": schema},
        ).scalar_one_or_none()
        if owner_like:
            raise InputError(
                "--app-role",
                f"{role!r} owns the tables (or is a superuser): the application role must be another role",
            )
        tables = list(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            ).scalars()
        )
    if not tables:
        raise InputError("--app-role", f"schema {schema!r} has no tables: run `bo db upgrade` first")
    return grant_statements(schema, tables, role)


def apply_grants(engine: Engine, app_role: str) -> list[str]:
    statements = plan_grants(engine, app_role)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    return statements
