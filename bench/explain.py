"""Query plans of the statements a service call really sent (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""

from __future__ import annotations

from typing import Any

from bo_core.services.context import Context

_TABLES = ("transactions", "audit_log")


def _relevant(statement: str) -> bool:
    head = statement.lstrip().upper()
    return head.startswith(("SELECT", "WITH")) and any(t in statement for t in _TABLES)


def _sqlite_plan(cur: Any, statement: str, params: Any) -> str:
    cur.execute("EXPLAIN QUERY PLAN " + statement, params)
    rows = cur.fetchall()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + detail)
    return "\n".join(lines)


def _pg_plan(cur: Any, statement: str, params: Any) -> str:
    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
    return "\n".join(r[0] for r in cur.fetchall())


def _one_line(statement: str) -> str:
    return " ".join(statement.split())


def plans(ctx: Context, statements: list[tuple[str, Any]]) -> str:
    """Plans of every ``SELECT`` on transactions/audit_log among ``statements``, in order."""
    proxy = ctx.db.engine.raw_connection()
    try:
        driver: Any = proxy.driver_connection
        cur = driver.cursor()
        out = []
        done: set[str] = set()
        for statement, params in statements:
            if not _relevant(statement) or statement in done:
                continue
            done.add(statement)
            plan = (_sqlite_plan if ctx.db.is_sqlite else _pg_plan)(cur, statement, params)
            out.append(f"-- {_one_line(statement)}\n{plan}")
        cur.close()
        if not ctx.db.is_sqlite:
            driver.rollback()
        return "\n\n".join(out)
    finally:
        proxy.close()
