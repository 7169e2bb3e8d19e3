"""Dialect-specific locking and maintenance statements, in one place.

Services ask for an effect ("serialize audit appends", "lock the transactions
table against other loaders"); this module knows how each backend does it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

AUDIT_CHAIN_LOCK_ID = 0x6B6F_0A0D  # PostgreSQL advisory lock serializing audit appends


def serialize_audit_appends(session: Session) -> None:
    """Hold the audit chain's lock until the transaction ends.

    On PostgreSQL an advisory transaction lock makes the chain order the commit
    order; on SQLite the write unit of work already holds the database's write
    lock, so nothing is needed.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": AUDIT_CHAIN_LOCK_ID})


def lock_transactions_for_load(conn: Connection) -> None:
    """Keep other writers out of ``transactions`` until the transaction ends.

    PostgreSQL: ``LOCK TABLE ... SHARE ROW EXCLUSIVE``; SQLite: the write unit of
    work holds the database's write lock from its first statement already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE transactions IN SHARE ROW EXCLUSIVE MODE"))


def analyze_transactions(conn: Connection) -> None:
    """Refresh the planner's statistics of ``transactions`` after a bulk load."""
    conn.execute(text("ANALYZE transactions"))
