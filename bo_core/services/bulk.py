"""Bulk operations from a CSV file, line by line through ``run_operation``.

Every line is one ``OperationRequest`` run by the same service as the dialog,
so each rule, permission, idempotency check and audit record applies per line.

- Real run: each line's idempotency key derives from the file's SHA-256 and the
  line number (``bulk:<sha256>:<line>``). Re-running or re-uploading the same
  file replays the first result and books nothing twice; a run that was killed
  is resumed from its first undecided line (a line booked just before the kill
  is replayed, not booked again). A refusal never stops the other lines.
- Dry run: the same ``run_operation`` runs inside one outer database
  transaction that is rolled back at the end; each line commits only a
  savepoint, so a later line on the same parent sees the earlier line's amount.
  Nothing of a dry run (children, audit records) survives, only its report.
  The outer transaction holds the write lock while the dry run lasts.
- Four-eyes approval applies per line as in the dialog: a line above the
  user's threshold becomes an approval request (outcome ``awaiting_approval``,
  its message names the request), books nothing and is not in the totals; a
  dry run reports it as ``would_await_approval``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bo_core.db.engine import WRITE_OPTION
from bo_core.db.models import TransactionRow, UserRow
from bo_core.db.uow import Database
from bo_core.domain import result_codes as rc
from bo_core.domain.bulk_file import (
    DEFAULT_MAX_LINES,
    BulkLine,
    MalformedBulkFile,
    content_hash,
    idempotency_key,
    parse_bulk_file,
)
from bo_core.domain.errors import (
    BoError,
    ConfigurationError,
    DatabaseUnavailable,
    NotFound,
    OperationRefused,
    PermissionDenied,
)
from bo_core.domain.permissions import permission_for
from bo_core.domain.reasons import NEEDS_REASON, OTHER
from bo_core.domain.types import Operation
from bo_core.services import bulk_store as store
from bo_core.services.context import Context
from bo_core.services.execute import OperationRequest, run_operation
from bo_core.services.origin import through

__all__ = ["MalformedBulkFile", "content_hash", "execute", "parse_bulk_file", "run_file", "start_run"]

Progress = Callable[[int, int], None]
SAVE_EVERY_LINES = 200
SAVE_EVERY_SECONDS = 1.0


def max_lines_setting() -> int:
    """``BO_BULK_MAX_LINES`` (default 10,000): the most data lines a file may hold."""
    raw = os.environ.get("BO_BULK_MAX_LINES", "").strip()
    if not raw:
        return DEFAULT_MAX_LINES
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"BO_BULK_MAX_LINES must be a positive integer, got {raw[:20]!r}")
    return int(raw)


def _no_progress(_done: int, _total: int) -> None:
    return None


def start_run(
    ctx: Context,
    data: bytes,
    file_name: str,
    username: str,
    *,
    dry_run: bool,
    max_lines: int | None = None,
) -> str:
    """Parse the file (``MalformedBulkFile`` if it cannot run) and store a new run; return its id."""
    limit = max_lines if max_lines is not None else max_lines_setting()
    parsed = parse_bulk_file(data, max_lines=limit)
    _active_user(ctx, username)
    return store._create_run(ctx, parsed, file_name, username, dry_run=dry_run)


@through("bulk")
def execute(ctx: Context, run_id: str, username: str, progress: Progress = _no_progress) -> store.RunReport:
    """Decide every undecided line of ``run_id`` as ``username`` (its uploader); see the module doc."""
    with ctx.db.uow() as uow:
        run = store.load_run(uow.session, run_id)
        owner, dry, file_sha, total = run.username, run.dry_run, run.file_sha256, run.total_lines
    if username != owner:
        raise PermissionDenied(f"Only {owner!r}, who uploaded this run, can execute or resume it")
    _active_user(ctx, username)
    todo = store._lines_of(ctx, run_id, undecided_only=not dry)
    done = total - len(todo)
    progress(done, total)
    if dry:
        results = _dry_run(ctx, todo, file_sha, username, lambda n: progress(n, total))
        store._save_results(ctx, run_id, results, finished=True)
    else:
        batch: list[store.LineResult] = []
        saved_at = time.monotonic()
        for row in todo:
            batch.append(_decide(ctx, row, file_sha, username, dry_run=False))
            done += 1
            progress(done, total)
            if len(batch) >= SAVE_EVERY_LINES or time.monotonic() - saved_at > SAVE_EVERY_SECONDS:
                store._save_results(ctx, run_id, batch, finished=False)
                batch, saved_at = [], time.monotonic()
        store._save_results(ctx, run_id, batch, finished=True)
    return store._read_report(ctx, run_id, None, username)


def run_file(
    ctx: Context,
    data: bytes,
    file_name: str,
    username: str,
    *,
    dry_run: bool,
    progress: Progress = _no_progress,
    max_lines: int | None = None,
) -> store.RunReport:
    run_id = start_run(ctx, data, file_name, username, dry_run=dry_run, max_lines=max_lines)
    return execute(ctx, run_id, username, progress)


def _active_user(ctx: Context, username: str) -> None:
    """Active, with a role that may run at least one operation (each line checks its own)."""
    with ctx.db.uow() as uow:
        user = uow.session.get(UserRow, str(username).strip()[:64])
        if user is None:
            raise NotFound(f"No user named {str(username)[:64]!r}")
        if not user.active:
            raise PermissionDenied(f"User {user.username!r} is disabled", rc.USER_DISABLED)
        role = ctx.settings.role(user.role)
    if not any(role.can(permission_for(op)) for op in Operation):
        raise PermissionDenied(f"Role {role.name!r} may not run operations")


class _RolledBackDatabase(Database):
    """A ``Database`` whose units of work are savepoints inside one outer transaction."""

    def __init__(self, db: Database, connection: object) -> None:
        self.url = db.url
        self.engine = db.engine
        self.session_factory = sessionmaker(
            bind=connection,  # type: ignore[call-overload]
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        )


@contextmanager
def _sandbox(ctx: Context) -> Iterator[Context]:
    with ctx.db.engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        outer = conn.begin()
        try:
            yield Context(db=_RolledBackDatabase(ctx.db, conn), settings=ctx.settings, clock=ctx.clock)
        finally:
            outer.rollback()


def _dry_run(
    ctx: Context, rows: list[BulkLine], file_sha: str, username: str, progress: Callable[[int], None]
) -> list[store.LineResult]:
    results: list[store.LineResult] = []
    with _sandbox(ctx) as sandbox:
        for i, row in enumerate(rows, 1):
            results.append(_decide(sandbox, row, file_sha, username, dry_run=True))
            progress(i)
    return results


def _memo(row: BulkLine) -> str | None:
    """The memo; a ``reason`` on a line whose operation takes none is kept in it as text."""
    note = row.reason if row.reason and Operation(row.operation) not in NEEDS_REASON else None
    parts = [p for p in (row.memo, f"Reason: {note}" if note else None) if p]
    return "\n".join(parts) or None


def _reason(ctx: Context, row: BulkLine) -> tuple[str | None, str | None]:
    """The ``reason`` cell as (code, note): ``duplicate``, ``other: phoned in`` (a configured code,
    optionally ``: note``); any other text is the note of reason ``other`` (older files wrote free text)."""
    if not row.reason:
        return None, None
    code, sep, note = row.reason.partition(":")
    if code.strip().lower() in ctx.settings.operation_reasons:
        return code.strip().lower(), (note.strip() or None) if sep else None
    return OTHER, row.reason


def _decide(ctx: Context, row: BulkLine, file_sha: str, username: str, *, dry_run: bool) -> store.LineResult:
    try:
        parent = _parent_uuid(ctx, row)
        reason, note = _reason(ctx, row)
        result = run_operation(
            ctx,
            OperationRequest(
                operation=row.operation,
                parent_uuid=parent,
                username=username,
                amount=row.amount,
                usage=row.usage,
                transaction_id=row.transaction_id,
                memo=_memo(row),
                idempotency_key=idempotency_key(file_sha, row.line),
                reason=reason if Operation(row.operation) in NEEDS_REASON else None,
                reason_note=note if Operation(row.operation) in NEEDS_REASON else None,
                reason_required=False,  # files written before reasons existed keep working
            ),
        )
    except (DatabaseUnavailable, ConfigurationError):
        raise  # the run stops here and can be resumed
    except BoError as exc:
        return store.LineResult(row.line, store.REFUSED, exc.result_code, exc.message)
    outcome = result.outcome
    message = result.message
    if result.replayed:
        message = f"Already executed from this file earlier (nothing booked again): {message}"
    elif dry_run and outcome == store.SUCCESS:
        outcome, message = store.WOULD_SUCCEED, f"Would succeed: {message}"
    elif dry_run and outcome == store.AWAITING_APPROVAL:
        outcome, message = store.WOULD_AWAIT_APPROVAL, f"Would wait for approval: {message}"
    minor = result.amount.minor if result.amount is not None else None
    return store.LineResult(
        row.line,
        outcome,
        result.result_code,
        message,
        None if dry_run and not result.replayed else result.uuid,
        result.currency,
        minor,
        result.replayed,
    )


def _parent_uuid(ctx: Context, row: BulkLine) -> str:
    if row.parent_uuid:
        return row.parent_uuid
    with ctx.db.uow() as uow:
        stmt = (
            select(TransactionRow.uuid)
            .where(
                TransactionRow.merchant == row.merchant,
                TransactionRow.transaction_id == row.parent_transaction_id,
            )
            .limit(2)
        )
        found = list(uow.session.execute(stmt).scalars())
    if not found:
        raise NotFound(
            f"No transaction with Transaction ID {str(row.parent_transaction_id)[:60]!r} "
            f"of merchant {str(row.merchant)[:64]!r}"
        )
    if len(found) > 1:
        raise OperationRefused(
            rc.REFERENCE_NOT_FOUND,
            f"Transaction ID {str(row.parent_transaction_id)[:60]!r} is not unique for merchant "
            f"{str(row.merchant)[:64]!r}: give parent_uuid",
        )
    return found[0]
