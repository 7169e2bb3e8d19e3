"""Bulk writing of transaction rows: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Everything runs on the caller's connection, inside its open transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Connection, text

from bo_core.db.models import TransactionRow

Row = dict[str, object]
Progress = Callable[[int], None]

BATCH_ROWS = 10_000
SQLITE_LOAD_CACHE_KIB = 262_144
PG_INDEX_BUILD_MEMORY = "256MB"
# Demo rows carry no gateway-mode columns (they stay NULL).
COLUMNS: tuple[str, ...] = tuple(
    c.name
    for c in TransactionRow.__table__.columns
    if c.name not in ("id", "pending_reason", "attempt_uuid", "reason_code", "reason_note")
)


def write_rows(conn: Connection, rows: Iterable[Row], progress: Progress | None, *, large: bool) -> int:
    """Write ``rows`` (parents before children); return how many were written.

    ``large`` loads first set the table's indexes aside and rebuild them at the
    end, which is far quicker than growing them row by row.
    """
    with _indexes_set_aside(conn, large):
        if conn.dialect.name == "postgresql":
            return _copy(conn, rows, progress)
        return _insert(conn, rows, progress)


def _batches(rows: Iterable[Row]) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH_ROWS)):
        yield batch


def _insert(conn: Connection, rows: Iterable[Row], progress: Progress | None) -> int:
    """Batched ``executemany`` of one INSERT.

    Values go through each column type's bind processor for this dialect (the
    type's ``dialect_impl``: the bare type's processor skips the dialect's own
    step), so timestamps are stored exactly as the ORM stores them
    (``bo_core.db.timestamps``).
    """
    table = TransactionRow.__table__
    types = [table.c[c].type.dialect_impl(conn.dialect) for c in COLUMNS]
    processors = [(i, p) for i, t in enumerate(types) if (p := t.bind_processor(conn.dialect)) is not None]
    marks = ", ".join("?" for _ in COLUMNS)  # SQLite's parameter style
    statement = f"INSERT INTO transactions ({', '.join(COLUMNS)}) VALUES ({marks})"
    written = 0
    for batch in _batches(rows):
        values = []
        for row in batch:
            record = [row[c] for c in COLUMNS]
            for i, process in processors:
                record[i] = process(record[i])
            values.append(tuple(record))
        conn.exec_driver_sql(statement, values)
        written += len(batch)
        if progress is not None:
            progress(written)
    return written


def _copy(conn: Connection, rows: Iterable[Row], progress: Progress | None) -> int:
    """PostgreSQL ``COPY`` on the connection's own transaction; timestamps as naive UTC."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"COPY transactions ({', '.join(COLUMNS)}) FROM STDIN"
    at = COLUMNS.index("created_at")
    written = 0
    with cursor.copy(sql) as copy:
        for batch in _batches(rows):
            for row in batch:
                values = [row[c] for c in COLUMNS]
                created = values[at]
                assert isinstance(created, datetime)
                values[at] = created.astimezone(UTC).replace(tzinfo=None)
                copy.write_row(values)
            written += len(batch)
            if progress is not None:
                progress(written)
    cursor.close()
    return written


@contextmanager
def _indexes_set_aside(conn: Connection, active: bool) -> Iterator[None]:
    """Drop the non-unique indexes (on PostgreSQL also the foreign key), restore them after.

    The definitions are read back from the database itself, so what is rebuilt
    is exactly what the migrations made. Restoring the foreign key checks every
    row at once. Unique indexes (UUID, back-office Transaction ID) stay in
    place. A failure rolls the whole transaction back, restoring the dropped
    definitions with it.
    """
    if not active:
        yield
        return
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        indexes = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = 'transactions'"
            )
        ).all()
        keys = conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'transactions'::regclass AND contype = 'f'"
            )
        ).all()
        conn.execute(text(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_BUILD_MEMORY}'"))
    else:
        indexes = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions'")
        ).all()
        keys = []
    plain = [(name, ddl) for name, ddl in indexes if ddl and not ddl.upper().startswith("CREATE UNIQUE")]
    for name, _ in keys:
        conn.execute(text(f'ALTER TABLE transactions DROP CONSTRAINT "{name}"'))
    for name, _ in plain:
        conn.execute(text(f'DROP INDEX "{name}"'))
    cache_size = None if postgres else conn.exec_driver_sql("PRAGMA cache_size").scalar()
    if cache_size is not None:
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        if cache_size is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
    for _, ddl in plain:
        conn.execute(text(ddl))
    for name, ddl in keys:
        conn.execute(text(f'ALTER TABLE transactions ADD CONSTRAINT "{name}" {ddl}'))
