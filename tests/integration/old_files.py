"""SQLite files as the earlier bulk loader left them: schema 0002, whole seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from bo_core.db import migrate
from bo_core.db.bulk import COLUMNS
from bo_core.demo import demo_rows

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def old_spelling(moment: object) -> str:
    assert isinstance(moment, datetime)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def insert_spelled(engine: Engine, rows: Sequence[dict[str, object]], spellings: Sequence[str]) -> None:
    """Insert ``rows`` on the raw driver with ``created_at`` spelled as given."""
    statement = f"INSERT INTO transactions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
    values = [
        tuple(spelled if c == "created_at" else row[c] for c in COLUMNS)
        for row, spelled in zip(rows, spellings, strict=True)
    ]
    with engine.begin() as conn:
        conn.exec_driver_sql(statement, values)


def old_file(engine: Engine, transactions: int, seed: int = 5) -> list[dict[str, object]]:
    """Migrate to 0002 and load demo rows spelled the old way; return the rows."""
    migrate.upgrade(engine, "0002")
    rows = [dict(r) for r in demo_rows(transactions, seed, NOW)]
    insert_spelled(engine, rows, [old_spelling(r["created_at"]) for r in rows])
    return rows
