"""Bulk runs in the database: create, record line results, read back, result file.

``read_report`` and ``list_runs`` are the public reads (they check the actor); the
underscored functions are the bulk service's own (``bo_core.services.bulk``).
"""

from __future__ import annotations

import csv
import io
import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bo_core.db.models import BulkLineRow, BulkRun
from bo_core.domain.authorization import Actor
from bo_core.domain.bulk_file import COLUMNS, BulkFile, BulkLine
from bo_core.domain.errors import NotFound, PermissionDenied
from bo_core.domain.money import minor_to_str
from bo_core.domain.permissions import Permission, Role
from bo_core.services.access import require
from bo_core.services.context import Context

RUNNING, DONE = "running", "done"
WOULD_SUCCEED, SUCCESS, REFUSED = "would_succeed", "success", "refused"
AWAITING_APPROVAL, WOULD_AWAIT_APPROVAL = "awaiting_approval", "would_await_approval"
ACCEPTED = frozenset({SUCCESS, WOULD_SUCCEED})
RESULT_COLUMNS = (*COLUMNS, "outcome", "result_code", "message", "uuid")


@dataclass(frozen=True)
class LineResult:
    line: int
    outcome: str
    result_code: str
    message: str
    uuid: str | None = None
    currency: str | None = None
    amount_minor: int | None = None
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        amount = None
        if self.amount_minor is not None and self.currency:
            amount = minor_to_str(self.amount_minor, self.currency)
        return {
            "line": self.line,
            "outcome": self.outcome,
            "result_code": self.result_code,
            "message": self.message,
            "uuid": self.uuid,
            "amount": amount,
            "currency": self.currency,
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    created_at: datetime
    finished_at: datetime | None
    username: str
    file_name: str
    dry_run: bool
    status: str
    total_lines: int
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "username": self.username,
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "status": self.status,
            "total_lines": self.total_lines,
            "counts": self.counts,
        }


@dataclass(frozen=True)
class RunReport:
    summary: RunSummary
    lines: list[LineResult]
    inputs: list[dict[str, str]]

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def totals(self) -> dict[str, str]:
        """Per currency, the amount of the accepted lines (booked or would be)."""
        sums: dict[str, int] = {}
        for r in self.lines:
            if r.outcome in ACCEPTED and r.currency and r.amount_minor is not None:
                sums[r.currency] = sums.get(r.currency, 0) + r.amount_minor
        return {cur: minor_to_str(v, cur) for cur, v in sorted(sums.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.summary.dry_run,
            "status": self.summary.status,
            "file_name": self.summary.file_name,
            "username": self.summary.username,
            "lines": [r.to_dict() for r in self.lines],
            "totals": self.totals,
            "counts": self.summary.counts,
        }

    def result_csv(self) -> str:
        """The input columns of every line plus outcome, result code, message and new UUID."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(RESULT_COLUMNS)
        decided = {r.line: r for r in self.lines}
        for row in self.inputs:
            r = decided.get(int(row["line"]))
            extra = [r.outcome, r.result_code, r.message, r.uuid or ""] if r else ["", "", "", ""]
            writer.writerow([_safe_cell(row[c]) for c in COLUMNS] + [_safe_cell(x) for x in extra])
        return out.getvalue()


def _safe_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; prefix them with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _create_run(ctx: Context, parsed: BulkFile, file_name: str, username: str, *, dry_run: bool) -> str:
    run_id = uuidlib.uuid4().hex
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        s.add(
            BulkRun(
                id=run_id,
                created_at=ctx.now(),
                username=username,
                file_name=(file_name or "upload.csv")[:255],
                file_sha256=parsed.sha256,
                dry_run=dry_run,
                status=RUNNING,
                total_lines=len(parsed.lines),
            )
        )
        s.flush()
        s.execute(
            insert(BulkLineRow),
            [{"run_id": run_id, "replayed": False, **_input_values(ln)} for ln in parsed.lines],
        )
        uow.commit()
    return run_id


def _input_values(line: BulkLine) -> dict[str, Any]:
    return {"line": line.line, "operation": line.operation} | {
        c: getattr(line, c) for c in COLUMNS if c != "operation"
    }


def _save_results(ctx: Context, run_id: str, results: Iterable[LineResult], *, finished: bool) -> None:
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        for r in results:
            s.execute(
                update(BulkLineRow)
                .where(BulkLineRow.run_id == run_id, BulkLineRow.line == r.line)
                .values(
                    outcome=r.outcome,
                    result_code=r.result_code,
                    message=r.message[:500],
                    uuid=r.uuid,
                    currency=r.currency,
                    amount_minor=r.amount_minor,
                    replayed=r.replayed,
                )
            )
        if finished:
            s.execute(update(BulkRun).where(BulkRun.id == run_id).values(status=DONE, finished_at=ctx.now()))
        uow.commit()


def load_run(s: Session, run_id: str) -> BulkRun:
    run = s.get(BulkRun, str(run_id).strip().lower()[:32])
    if run is None:
        raise NotFound(f"No bulk run {str(run_id)[:40]!r}")
    return run


def _check_reader(role: Role | None, run: BulkRun, actor: Actor) -> None:
    """The system, the uploader and roles that see the operation history (managers) may read a run."""
    if role is None or actor == run.username or role.can(Permission.HISTORY_VIEW):
        return
    raise PermissionDenied("Only the uploader and managers can see this bulk run")


def _lines_of(ctx: Context, run_id: str, *, undecided_only: bool) -> list[BulkLine]:
    """The run's lines as parsed (in file order), all of them or only the undecided ones."""
    stmt = select(BulkLineRow).where(BulkLineRow.run_id == run_id).order_by(BulkLineRow.line)
    if undecided_only:
        stmt = stmt.where(BulkLineRow.outcome.is_(None))
    with ctx.db.uow() as uow:
        return [
            BulkLine(
                line=r.line,
                operation=r.operation,
                parent_uuid=r.parent_uuid,
                parent_transaction_id=r.parent_transaction_id,
                merchant=r.merchant,
                amount=r.amount,
                usage=r.usage,
                transaction_id=r.transaction_id,
                memo=r.memo,
                reason=r.reason,
            )
            for r in uow.session.execute(stmt).scalars()
        ]


def read_report(ctx: Context, run_id: str, *, actor: Actor) -> RunReport:
    role = require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    return _read_report(ctx, run_id, role, actor)


def _read_report(ctx: Context, run_id: str, role: Role | None, actor: Actor) -> RunReport:
    with ctx.db.uow() as uow:
        s = uow.session
        run = load_run(s, run_id)
        _check_reader(role, run, actor)
        stmt = select(BulkLineRow).where(BulkLineRow.run_id == run.id).order_by(BulkLineRow.line)
        results: list[LineResult] = []
        inputs: list[dict[str, str]] = []
        for r in s.execute(stmt).scalars():
            inputs.append({"line": str(r.line)} | {c: getattr(r, c) or "" for c in COLUMNS})
            if r.outcome is not None:
                results.append(
                    LineResult(
                        r.line,
                        r.outcome,
                        r.result_code or "",
                        r.message or "",
                        r.uuid,
                        r.currency,
                        r.amount_minor,
                        r.replayed,
                    )
                )
        return RunReport(_summary(run, _count(results, len(inputs))), results, inputs)


def _count(results: list[LineResult], total: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    counts["undecided"] = total - len(results)
    return counts


def _summary(run: BulkRun, counts: dict[str, int]) -> RunSummary:
    return RunSummary(
        run.id,
        run.created_at,
        run.finished_at,
        run.username,
        run.file_name,
        run.dry_run,
        run.status,
        run.total_lines,
        counts,
    )


def list_runs(ctx: Context, *, actor: Actor, limit: int = 200) -> list[RunSummary]:
    """Newest first: all runs for the system and managers, one's own runs otherwise."""
    role = require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    with ctx.db.uow() as uow:
        s = uow.session
        stmt = select(BulkRun).order_by(BulkRun.created_at.desc(), BulkRun.id).limit(limit)
        if role is not None and not role.can(Permission.HISTORY_VIEW):
            stmt = stmt.where(BulkRun.username == actor)
        runs = list(s.execute(stmt).scalars())
        ids = [r.id for r in runs]
        counts: dict[str, dict[str, int]] = {i: {} for i in ids}
        if ids:
            grouped = (
                select(BulkLineRow.run_id, BulkLineRow.outcome, func.count())
                .where(BulkLineRow.run_id.in_(ids))
                .group_by(BulkLineRow.run_id, BulkLineRow.outcome)
            )
            for run_id, outcome, n in s.execute(grouped):
                counts[run_id][outcome or "undecided"] = int(n)
        return [_summary(r, counts[r.id]) for r in runs]
