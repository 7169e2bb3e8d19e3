"""The one storage format of timestamps on SQLite, and the guards that keep it.

SQLite has no date type: timestamps are text and compare as text. Two
spellings of the same instant (``2026-11-01 12:00:00`` and
``2026-11-01 12:00:00.000000``) are therefore different values, and the shorter
one sorts first. Mixed spellings made keyset paging repeat rows, exports
duplicate one row per batch and date bounds drop the rows stored at exactly
that second. So every writer stores one fixed-width spelling of naive UTC::

    YYYY-MM-DD HH:MM:SS.ffffff        (always six fractional digits, 26 characters)

That is SQLAlchemy's own SQLite format, which the ORM and Core already use
through :class:`bo_core.db.models.UTCDateTime`; the bulk loader uses the same
column type, and triggers refuse any other spelling from any other writer
(raw SQL, imports, tools), so a wrong writer fails loudly instead of silently
changing which rows a page shows.

Because the width is fixed, text order is time order, and bounds a developer
would naturally bind on the raw driver (``'2026-11-01 12:00:00'`` or a Python
``datetime``) select the same rows for the half-open ranges the product uses
(``>= from``, ``< to``).

PostgreSQL stores ``timestamp without time zone``: nothing to normalize there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, text

SQLITE_STORAGE_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)
STORAGE_LENGTH = 26
# GLOB matches the whole value, so it fixes the length too.
_D = "[0-9]"
STORAGE_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}"

# (table, column, nullable) of every timestamp the models store.
TIMESTAMP_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("transactions", "created_at", False),
    ("audit_log", "created_at", False),
    ("users", "created_at", False),
    ("login_throttle", "window_start", False),
    ("login_throttle", "locked_until", True),
)


def to_storage_text(moment: datetime) -> str:
    """``moment`` (aware, or naive UTC) as the SQLite storage text."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return SQLITE_STORAGE_FORMAT % {
        "year": moment.year,
        "month": moment.month,
        "day": moment.day,
        "hour": moment.hour,
        "minute": moment.minute,
        "second": moment.second,
        "microsecond": moment.microsecond,
    }


def guard_names(table: str, column: str) -> tuple[str, str]:
    return f"{table}_{column}_format_insert", f"{table}_{column}_format_update"


def create_sqlite_guards(conn: Connection) -> None:
    """Triggers refusing any other spelling on INSERT and UPDATE, for every timestamp column."""
    for table, column, _ in TIMESTAMP_COLUMNS:
        on_insert, on_update = guard_names(table, column)
        value = f"NEW.{column}"
        check = f"{value} IS NOT NULL AND (typeof({value}) != 'text' OR {value} NOT GLOB '{STORAGE_GLOB}')"
        message = f"{table}.{column} must be stored as YYYY-MM-DD HH:MM:SS.ffffff (UTC)"
        for name, event in ((on_insert, "INSERT"), (on_update, f"UPDATE OF {column}")):
            conn.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} "
                    f"WHEN {check} BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            )


def drop_sqlite_guards(conn: Connection) -> None:
    for table, column, _ in TIMESTAMP_COLUMNS:
        for name in guard_names(table, column):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


@contextmanager
def _indexes_of(conn: Connection, table: str, column: str) -> Iterator[None]:
    """Set aside the non-unique indexes holding ``column`` and rebuild them after.

    Rewriting a column in a million rows is several times quicker without
    updating its indexes row by row; the definitions are read back from the
    file, so exactly those indexes come back (inside the same transaction).
    """
    found = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql NOT NULL"),
        {"t": table},
    ).all()
    aside = []
    for name, ddl in found:
        columns = {r[2] for r in conn.exec_driver_sql(f'PRAGMA index_info("{name}")')}
        if column in columns and not ddl.upper().startswith("CREATE UNIQUE"):
            aside.append((name, ddl))
    for name, _ in aside:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, ddl in aside:
        conn.execute(text(ddl))


def normalize_sqlite(conn: Connection) -> dict[str, int]:
    """Rewrite every timestamp not in the storage spelling; return rows rewritten per column.

    The common old spelling (whole seconds, ``YYYY-MM-DD HH:MM:SS``, written by
    the bulk loader) is fixed by one UPDATE in SQL; anything else that is left
    (``T`` separators, short fractions, UTC offsets) is parsed in Python and
    rewritten row by row. A value that is not a timestamp at all stops the
    migration (and rolls it back) rather than being guessed.
    The audit trail's append-only guard is lifted for the rewrite and restored:
    the instant does not change, so neither do the records' hashes.
    """
    rewritten: dict[str, int] = {}
    for table, column, _ in TIMESTAMP_COLUMNS:
        wrong = f"{column} IS NOT NULL AND (typeof({column}) != 'text' OR {column} NOT GLOB '{STORAGE_GLOB}')"
        if conn.execute(text(f"SELECT 1 FROM {table} WHERE {wrong} LIMIT 1")).first() is None:
            continue
        audit = table == "audit_log"
        if audit:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        whole_seconds = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}"
        with _indexes_of(conn, table, column):
            count = conn.execute(
                text(
                    f"UPDATE {table} SET {column} = {column} || '.000000' "
                    f"WHERE typeof({column}) = 'text' AND {column} GLOB '{whole_seconds}'"
                )
            ).rowcount
        left = conn.execute(text(f"SELECT rowid, {column} FROM {table} WHERE {wrong}")).all()
        for rowid, value in left:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                raise ValueError(f"{table}.{column} of row {rowid} is not a timestamp: {value!r}") from None
            conn.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE rowid = :r"),
                {"v": to_storage_text(moment), "r": rowid},
            )
        rewritten[f"{table}.{column}"] = count + len(left)
        if audit:
            conn.execute(
                text(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END"
                )
            )
    return rewritten
