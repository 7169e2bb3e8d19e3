"""``bo import transactions FILE.csv``: historical loads from bo's own export format.

Every line is checked first; any bad line is reported with its line number
and nothing is written. Otherwise all new rows go in one database transaction
(parents before children); rows already known by UUID are left unchanged, so a
re-run adds nothing. ``dry_run`` checks and counts without writing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.authorization import Actor
from bo_core.domain.errors import BoError, InputError
from bo_core.domain.money import parse_amount
from bo_core.domain.types import Source, TxType
from bo_core.services.access import require_system
from bo_core.services.context import Context
from bo_core.services.execute import _insert
from bo_core.services.search import CSV_HEADER

REQUIRED = {
    "uuid",
    "transaction_id",
    "type",
    "status",
    "result_code",
    "amount",
    "currency",
    "merchant",
    "channel",
    "payment_method",
    "brand",
    "created_at",
    "parent_uuid",
    "source",
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class CsvReport:
    added: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "dry_run": self.dry_run,
        }


def _cell(value: str | None) -> str | None:
    """Undo the export's formula guard (a leading ' before =, +, -, @)."""
    if value is None or value == "":
        return None
    if value.startswith("'") and value[1:].startswith(_FORMULA):
        return value[1:]
    return value


def _hex32(value: str | None) -> str:
    if value is None or len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"{str(value)[:40]!r} is not a 32-hex UUID")
    return value


def _row(line: dict[str, str | None]) -> TransactionRow:
    get = {k: _cell(v) for k, v in line.items() if k is not None}
    code = get.get("result_code") or ""
    if not rc.is_valid_code(code):
        raise ValueError(f"result_code {code[:20]!r} is not ddd.ddd.ddd")
    if get.get("status") != rc.status_of(code).value:
        raise ValueError(f"status {get.get('status')!r} does not follow from result code {code}")
    tx_type = TxType(get.get("type") or "")
    currency = (get.get("currency") or "").upper()
    try:
        amount = parse_amount(get.get("amount"), currency)
    except BoError as exc:
        raise ValueError(exc.message) from None
    if get.get("amount_minor") not in (None, str(amount.minor)):
        raise ValueError("amount_minor does not match amount")
    created = datetime.fromisoformat(get.get("created_at") or "")
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    source = Source(get.get("source") or "")
    for name in ("transaction_id", "merchant", "channel", "payment_method", "brand"):
        if not get.get(name):
            raise ValueError(f"{name} is empty")
    parent = get.get("parent_uuid")
    holder = get.get("holder")
    return TransactionRow(
        uuid=_hex32(get.get("uuid")),
        transaction_id=str(get["transaction_id"])[:255],
        type=tx_type.value,
        parent_uuid=_hex32(parent) if parent else None,
        amount_minor=amount.minor,
        currency=currency,
        result_code=code,
        result_description=rc.describe(code),
        status=rc.status_of(code).value,
        merchant=str(get["merchant"])[:64],
        channel=str(get["channel"])[:64],
        payment_method=str(get["payment_method"])[:8],
        brand=str(get["brand"])[:16],
        last4=get.get("last4"),
        holder=holder,
        holder_lc=holder.lower() if holder else None,
        customer_email=get.get("customer_email"),
        created_at=created,
        source=source.value,
    )


def read_csv(path: Path) -> tuple[list[TransactionRow], list[str]]:
    rows: list[TransactionRow] = []
    errors: list[str] = []
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError("FILE", f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED - set(reader.fieldnames or [])
        if missing:
            raise InputError(
                "FILE",
                f"line 1: missing columns {', '.join(sorted(missing))} (expected {','.join(CSV_HEADER)})",
            )
        seen: set[str] = set()
        try:
            for line in reader:
                try:
                    row = _row(line)
                    if row.uuid in seen:
                        raise ValueError(f"UUID {row.uuid} appears twice in the file")
                    seen.add(row.uuid)
                    rows.append(row)
                except (ValueError, KeyError, TypeError) as exc:
                    errors.append(f"line {reader.line_num}: {exc}")
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.append(f"line {reader.line_num}: unreadable CSV ({exc})")
    return rows, errors


def import_csv(ctx: Context, path: Path, *, actor: Actor, dry_run: bool = False) -> CsvReport:
    """Load ``path`` (see the module docstring); a command-line task: only ``SYSTEM`` runs it."""
    require_system(actor, "load transactions from a file")
    rows, errors = read_csv(path)
    report = CsvReport(errors=errors, dry_run=dry_run)
    if errors:
        return report
    with ctx.db.uow(write=True) as uow:
        s = uow.session
        uuids = [r.uuid for r in rows]
        known: set[str] = set()
        for i in range(0, len(uuids), 500):
            chunk = uuids[i : i + 500]
            known |= set(
                s.execute(select(TransactionRow.uuid).where(TransactionRow.uuid.in_(chunk))).scalars()
            )
        new = [r for r in rows if r.uuid not in known]
        report.unchanged = len(rows) - len(new)
        in_file = {r.uuid for r in new}
        parents = {r.parent_uuid for r in new if r.parent_uuid and r.parent_uuid not in in_file}
        present = (
            set(s.execute(select(TransactionRow.uuid).where(TransactionRow.uuid.in_(parents))).scalars())
            if parents
            else set()
        )
        for r in new:
            if r.parent_uuid and r.parent_uuid not in in_file and r.parent_uuid not in present:
                report.errors.append(
                    f"UUID {r.uuid}: its parent {r.parent_uuid} is neither in the file nor in bo"
                )
        if report.errors:
            return report
        report.added = len(new)
        if dry_run:
            return report
        done = known | present
        pending = sorted(new, key=lambda r: r.created_at)
        while pending:
            later = []
            for r in pending:
                if r.parent_uuid is None or r.parent_uuid in done:
                    _insert(s, r)
                    done.add(r.uuid)
                else:
                    later.append(r)
            if len(later) == len(pending):
                report.errors.append("the file's parent links form a cycle")
                report.added = 0
                return report
            pending = later
        uow.commit()
    return report
