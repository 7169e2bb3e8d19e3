"""Helpers shared by the reliability tests: row counts, invariants, figures.

Figures (workers, attempts, faults, inputs) are appended as JSON lines to the
file named by ``BO_RELIABILITY_METRICS`` when it is set; the report command
(``python -m tools.reliability_report``) sets it and turns them into
docs/RELIABILITY.md. Without it, ``record`` does nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.services.audit import verify_chain
from bo_core.services.context import Context

METRICS_ENV = "BO_RELIABILITY_METRICS"
REPO = Path(__file__).resolve().parents[2]
BO = REPO / ".venv" / "bin" / "bo"


def backend(ctx: Context) -> str:
    return "postgresql" if ctx.db.engine.dialect.name == "postgresql" else "sqlite"


def record(family: str, ctx_or_backend: Context | str, **numbers: Any) -> None:
    """Append one test's figures for the report (no-op outside the report run)."""
    path = os.environ.get(METRICS_ENV)
    if not path:
        return
    name = ctx_or_backend if isinstance(ctx_or_backend, str) else backend(ctx_or_backend)
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    line = json.dumps({"family": family, "backend": name, "test": test, **numbers})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


@dataclass(frozen=True)
class Counts:
    transactions: int
    audit: int


def counts(ctx: Context) -> Counts:
    with ctx.db.uow() as uow:
        s = uow.session
        tx = s.execute(select(func.count()).select_from(TransactionRow)).scalar_one()
        au = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        return Counts(int(tx), int(au))


def children(ctx: Context, parent: str) -> list[TransactionRow]:
    with ctx.db.uow() as uow:
        stmt = select(TransactionRow).where(TransactionRow.parent_uuid == parent).order_by(TransactionRow.id)
        return _detached(uow.session, list(uow.session.execute(stmt).scalars()))


def _detached(session: Any, rows: list[Any]) -> list[Any]:
    session.expunge_all()  # keep the loaded values after the read unit of work rolls back
    return rows


def audit_rows(ctx: Context, parent: str | None = None) -> list[AuditRecord]:
    with ctx.db.uow() as uow:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        if parent is not None:
            stmt = stmt.where(AuditRecord.parent_uuid == parent)
        return _detached(uow.session, list(uow.session.execute(stmt).scalars()))


def assert_chain_ok(ctx: Context) -> int:
    with ctx.db.uow() as uow:
        report = verify_chain(uow.session)
    assert report.ok, f"audit chain broken at seq {report.first_bad_seq}: {report.problem}"
    return report.records


def execute_sql(ctx: Context, sql: str, **params: Any) -> None:
    """Run raw SQL as the database owner would (outside the services)."""
    with ctx.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def cli_available() -> bool:
    return BO.exists()


def run_cli(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed ``bo`` console script against ``url`` in a new process."""
    env = {**os.environ, "BO_DATABASE_URL": url, "PYTHONIOENCODING": "utf-8"}
    env.pop("BO_DEBUG", None)
    return subprocess.run(
        [str(BO), *args],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=timeout,
        check=False,
    )


def python_cmd() -> str:
    return sys.executable
