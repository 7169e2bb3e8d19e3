"""The benchmark's floor binds what a developer binds on the raw driver, so it catches wrong rows.

On a SQLite file left by the earlier bulk loader (whole seconds spelled
``YYYY-MM-DD HH:MM:SS``) the service repeated the previous page's last row and
exported rows twice; the floor must disagree there, and agree once migration
0003 has rewritten the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.params import DEEP_PAGE, PAGE_SIZE, pick
from bench.workloads import export_workload, search_workloads
from bo_core.config import Settings, normalize_url
from bo_core.db import migrate
from bo_core.db.timestamps import drop_sqlite_guards
from bo_core.db.uow import Database
from bo_core.domain.permissions import load_roles
from bo_core.services.context import Context
from tests.integration.old_files import old_file

ROWS = DEEP_PAGE * PAGE_SIZE + 100  # the keyset page lies inside the data


@pytest.fixture
def old_ctx(sqlite_url: str) -> Iterator[Context]:
    url = normalize_url(sqlite_url)
    ctx = Context(db=Database(url), settings=Settings(database_url=url, roles=load_roles(None)))
    old_file(ctx.db.engine, ROWS)
    yield ctx
    ctx.db.dispose()


def _differing(ctx: Context, out: Path) -> list[str]:
    params = pick(ctx)
    work = [*search_workloads(ctx, params, "sqlite"), export_workload(ctx, params, "sqlite", out)]
    proxy = ctx.db.engine.raw_connection()
    try:
        return [w.name for w in work if w.service() != w.floor(proxy.driver_connection)]
    finally:
        proxy.close()


def _old_spelling_at_head(ctx: Context) -> None:
    """The old file's rows, spelled the old way again in today's schema (the service reads
    today's columns): the guards are dropped, the rows rewritten, as a file left by the old
    loader would read."""
    with ctx.db.engine.begin() as conn:
        old = [r[0] for r in conn.execute(text("SELECT id FROM transactions WHERE length(created_at) = 19"))]
    migrate.upgrade(ctx.db.engine)
    with ctx.db.engine.begin() as conn:
        drop_sqlite_guards(conn)
        for start in range(0, len(old), 500):
            ids = ",".join(str(i) for i in old[start : start + 500])
            conn.execute(
                text(f"UPDATE transactions SET created_at = substr(created_at, 1, 19) WHERE id IN ({ids})")
            )


def test_floor_disagrees_with_the_service_on_an_old_spelling_file(old_ctx: Context, tmp_path: Path) -> None:
    _old_spelling_at_head(old_ctx)
    wrong = _differing(old_ctx, tmp_path)
    assert "deep_keyset" in wrong  # the service repeated the previous page's last row
    assert "export_100k" in wrong  # and dropped the rows at the bound's second, doubled batch ends


def test_floor_agrees_with_the_service_after_the_migration(old_ctx: Context, tmp_path: Path) -> None:
    migrate.upgrade(old_ctx.db.engine)
    assert _differing(old_ctx, tmp_path) == []
