"""Parsing a bulk operations file (CSV): pure, no database.

Columns (header required, names case-insensitive): the parent as ``parent_uuid``
or as ``parent_transaction_id`` with ``merchant``; ``operation``; ``amount``
(decimal in major units, as the dialog takes it; empty for a reversal);
optional ``usage``, ``transaction_id`` (the new operation's Transaction ID),
``memo`` and ``reason``. UTF-8 with or without BOM, comma or semicolon, CRLF or
LF. A malformed file raises ``MalformedBulkFile`` naming every bad line by its
physical line number (the header is line 1), column and reason. Whether a
well-formed line is allowed (unknown parent, over-refund, ...) is decided later
by the same rules as the dialog, per line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

from bo_core.domain.errors import InputError
from bo_core.domain.types import Operation

DEFAULT_MAX_LINES = 10_000
MAX_REPORTED_PROBLEMS = 200
PARENT_COLUMNS = ("parent_uuid", "parent_transaction_id", "merchant")
COLUMNS = (*PARENT_COLUMNS, "operation", "amount", "usage", "transaction_id", "memo", "reason")
_AMOUNT = re.compile(r"\d{1,15}(\.\d{1,6})?", re.ASCII)
_UUID = re.compile(r"[0-9a-f]{32}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file is malformed."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class MalformedBulkFile(InputError):
    """The file cannot run at all; nothing was executed."""

    def __init__(self, problems: list[Problem]) -> None:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        text = "; ".join(str(p) for p in shown) + (f"; and {more} more" if more > 0 else "")
        super().__init__("Bulk file", f"malformed ({len(problems)} problem(s)): {text}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class BulkLine:
    """One data line, as typed (text fields stripped; empty means absent)."""

    line: int
    operation: str
    parent_uuid: str | None
    parent_transaction_id: str | None
    merchant: str | None
    amount: str | None
    usage: str | None
    transaction_id: str | None
    memo: str | None
    reason: str | None

    def as_row(self) -> dict[str, str]:
        return {name: getattr(self, name) or "" for name in COLUMNS}


@dataclass(frozen=True, slots=True)
class BulkFile:
    sha256: str
    delimiter: str
    lines: tuple[BulkLine, ...]
    ignored_columns: tuple[str, ...] = ()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def idempotency_key(file_sha256: str, line: int) -> str:
    """The key of one line: the same file and line never book twice."""
    return f"bulk:{file_sha256}:{line}"


def parse_bulk_file(data: bytes, *, max_lines: int = DEFAULT_MAX_LINES) -> BulkFile:
    """Parse ``data``; raise ``MalformedBulkFile`` listing every problem."""
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise MalformedBulkFile([Problem(1, "header", f"not CSV ({exc})")]) from None
    if header is None or not any(h.strip() for h in header):
        raise MalformedBulkFile([Problem(1, "header", "the header line is missing (empty file)")])
    names = [h.strip().lower() for h in header]
    _check_header(names, problems)
    if problems:
        raise MalformedBulkFile(problems)
    lines: list[BulkLine] = []
    count = 0
    physical = 1  # line number where the next record starts
    while True:
        start = physical + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(reader.line_num, "-", f"not CSV ({exc})"))
            break
        physical = reader.line_num
        if not record or not any(cell.strip() for cell in record):
            continue  # blank lines are allowed and ignored
        count += 1
        if count > max_lines:
            problems.append(
                Problem(start, "-", f"too many lines: at most {max_lines} data lines are allowed")
            )
            break
        parsed = _parse_line(start, names, record, problems)
        if parsed is not None:
            lines.append(parsed)
    if problems:
        raise MalformedBulkFile(problems)
    if not lines:
        raise MalformedBulkFile([Problem(2, "-", "the file has a header but no data lines")])
    ignored = tuple(n for n in names if n not in COLUMNS and n)
    return BulkFile(content_hash(data), delimiter, tuple(lines), ignored)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MalformedBulkFile([Problem(line, "-", "not UTF-8 text")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise MalformedBulkFile([Problem(line, "-", "contains a NUL byte (not a text file)")])
    return text


def _check_header(names: list[str], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen and name in COLUMNS:
            problems.append(Problem(1, name, "column appears twice"))
        seen.add(name)
    for required in ("operation", "amount"):
        if required not in seen:
            problems.append(Problem(1, required, "required column is missing"))
    if "parent_uuid" not in seen and not {"parent_transaction_id", "merchant"} <= seen:
        problems.append(
            Problem(1, "parent_uuid", "missing: give parent_uuid, or parent_transaction_id and merchant")
        )


def _parse_line(number: int, names: list[str], record: list[str], problems: list[Problem]) -> BulkLine | None:
    before = len(problems)
    if len(record) != len(names):
        problems.append(Problem(number, "-", f"has {len(record)} fields; the header has {len(names)}"))
        return None
    cells = {n: v.strip() or None for n, v in zip(names, record, strict=True) if n in COLUMNS}
    op_text = (cells.get("operation") or "").lower()
    operation: Operation | None = None
    try:
        operation = Operation(op_text)
    except ValueError:
        allowed = ", ".join(o.value for o in Operation)
        shown = repr(op_text[:40]) if op_text else "empty"
        problems.append(Problem(number, "operation", f"{shown} is not an operation ({allowed})"))
    uuid = cells.get("parent_uuid")
    if uuid is not None:
        uuid = uuid.replace("-", "").lower()
        if not _UUID.fullmatch(uuid):
            problems.append(Problem(number, "parent_uuid", "is not a transaction UUID (32 hex digits)"))
    elif not (cells.get("parent_transaction_id") and cells.get("merchant")):
        problems.append(
            Problem(number, "parent_uuid", "no parent: give parent_uuid, or parent_transaction_id + merchant")
        )
    amount = cells.get("amount")
    if operation is not None:
        _check_amount(number, operation, amount, problems)
    if len(problems) > before or operation is None:
        return None
    return BulkLine(
        line=number,
        operation=operation.value,
        parent_uuid=uuid,
        parent_transaction_id=cells.get("parent_transaction_id"),
        merchant=cells.get("merchant"),
        amount=amount,
        usage=cells.get("usage"),
        transaction_id=cells.get("transaction_id"),
        memo=cells.get("memo"),
        reason=cells.get("reason"),
    )


def _check_amount(number: int, operation: Operation, amount: str | None, problems: list[Problem]) -> None:
    if not operation.takes_amount:
        if amount is not None:
            problems.append(Problem(number, "amount", "a reversal takes no amount (leave it empty)"))
        return
    if amount is None:
        problems.append(Problem(number, "amount", f"is required for {operation.value}"))
    elif not _AMOUNT.fullmatch(amount):
        problems.append(
            Problem(number, "amount", f"{amount[:40]!r} is not a decimal amount in major units (e.g. 12.50)")
        )
    elif not any(ch in "123456789" for ch in amount):
        problems.append(Problem(number, "amount", "must be greater than zero"))
