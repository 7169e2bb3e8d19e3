"""First start: fill an empty database with demo data and demo users."""

from __future__ import annotations

from sqlalchemy import select

from bo_core.db.locks import lock_transactions_for_load
from bo_core.db.models import TransactionRow
from bo_core.demo.generate import create_demo_users, write_demo
from bo_core.demo.history import write_demo_history
from bo_core.services.context import Context


def ensure_demo(ctx: Context, transactions: int = 3000, seed: int = 42) -> bool:
    """Load demo data if the transactions table is empty; return whether this call loaded it.

    The emptiness check and the load share one write transaction: on SQLite the
    write unit of work holds the database's write lock from its first statement,
    on PostgreSQL the table is locked against other writers first. A second
    process starting at the same moment waits, then finds the rows and does
    nothing.
    """
    with ctx.db.uow(write=True) as uow:
        conn = uow.session.connection()
        lock_transactions_for_load(conn)
        if conn.execute(select(TransactionRow.id).limit(1)).first() is not None:
            return False
        write_demo(conn, transactions, seed, ctx.now())
        uow.commit()
    create_demo_users(ctx)
    write_demo_history(ctx, seed=seed)  # weeks of attempts by the demo users, refusals included
    return True
