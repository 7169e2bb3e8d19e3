"""Searches by merchant-scoped users: one scoped to one merchant, one to half of them.

The service call acts as that user, so the scope condition is joined into the
query; the floor is the plain query a developer writes for the same rows
(``merchant = ?`` or ``merchant IN (...)``).
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from sqlalchemy import text

from bench.params import Params
from bench.workloads import Sql, Workload, _page_floor
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.errors import BoError
from bo_core.services import scopes, search, users
from bo_core.services.context import Context

ONE, HALF = "bench-scoped-one", "bench-scoped-half"


def _merchants(ctx: Context) -> list[str]:
    with ctx.db.engine.connect() as conn:
        return [
            r[0] for r in conn.execute(text("SELECT DISTINCT merchant FROM transactions ORDER BY merchant"))
        ]


def _scoped_user(ctx: Context, username: str, merchants: list[str]) -> None:
    """The user (an analyst) assigned exactly ``merchants``; created once per database."""
    with contextlib.suppress(BoError):  # made by an earlier run on this database
        users.create_user(ctx, username, "analyst", secrets.token_urlsafe(24), name=username, actor=SYSTEM)
    held = {str(node["merchant"]) for node in scopes.user_scope(ctx, username, actor=SYSTEM).scope}
    for merchant in sorted(held - set(merchants)):
        scopes.unassign(ctx, username, merchant, actor=SYSTEM)
    for merchant in merchants:
        scopes.assign(ctx, username, merchant, actor=SYSTEM)


def scoped_workloads(ctx: Context, p: Params, dialect: str) -> list[Workload]:
    sql = Sql(dialect)
    merchants = _merchants(ctx)
    half = merchants[: max(1, len(merchants) // 2)]
    _scoped_user(ctx, ONE, [p.merchant])
    _scoped_user(ctx, HALF, half)
    out: list[Workload] = []
    for username, held, label in ((ONE, [p.merchant], "one merchant"), (HALF, half, "half the merchants")):
        marks = ", ".join(sql.mark for _ in held)
        where = [f"merchant IN ({marks})"]

        def service(filters: search.SearchFilters, who: str = username) -> Any:
            return lambda: [r.uuid for r in search.search_page(ctx, filters, actor=who).rows]

        tag = "one" if username == ONE else "half"
        out.append(
            Workload(
                f"scoped_{tag}_first_page",
                f"Scoped to {label}: first page",
                "search",
                service(search.parse_filters()),
                _page_floor(sql, where, list(held)),
            )
        )
        out.append(
            Workload(
                f"scoped_{tag}_merchant_status_7d",
                f"Scoped to {label}: status + 7 days",
                "search",
                service(search.parse_filters(statuses=[p.status], date_from=p.week_from)),
                _page_floor(
                    sql,
                    [*where, f"status = {sql.mark}", f"created_at >= {sql.mark}"],
                    [*held, p.status, sql.ts(p.week_from)],
                ),
            )
        )
    return out
