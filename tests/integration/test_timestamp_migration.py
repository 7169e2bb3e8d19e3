"""Migration 0003 rewrites old SQLite files to the one timestamp spelling and guards it.

An "old file" is built the way the earlier bulk loader wrote it: schema at
revision 0002, whole-second timestamps spelled ``YYYY-MM-DD HH:MM:SS``, next to
rows in other spellings a hand-written tool might have left (``T`` separator,
a short fraction, a UTC offset) and an audit record in the old spelling.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from bo_core.config import normalize_url
from bo_core.db import migrate
from bo_core.db.bulk import COLUMNS
from bo_core.db.models import AuditRecord, TransactionRow
from bo_core.db.timestamps import STORAGE_GLOB, TIMESTAMP_COLUMNS
from bo_core.db.uow import Database
from bo_core.demo import demo_rows
from bo_core.services import audit, search
from bo_core.services.context import Context
from tests.conftest import make_context
from tests.factories import add_tx, add_user
from tests.integration.old_files import NOW, insert_spelled, old_spelling

OLD_ROWS = 40
FORMAT_MESSAGE = re.escape("YYYY-MM-DD HH:MM:SS.ffffff")
ODD_SPELLINGS = ("{d}T{t}", "{d} {t}.5", "{d} {t}+00:00")


def _old_audit_record(engine: Engine, at: datetime) -> None:
    record = AuditRecord(
        created_at=at,
        username="analyst",
        role="analyst",
        operation="refund",
        parent_uuid="a" * 32,
        outcome="refused",
        result_code="700.400.200",
        message="old spelling",
    )
    for name in ("child_uuid", "merchant", "currency", "amount_minor", "available_before_minor"):
        setattr(record, name, None)
    for name in ("available_after_minor", "transaction_id", "usage", "memo", "idempotency_key"):
        setattr(record, name, None)
    digest = audit.record_digest(audit.GENESIS, record)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (created_at, username, role, operation, parent_uuid, outcome,"
                " result_code, message, prev_hash, hash)"
                " VALUES (:t, 'analyst', 'analyst', 'refund', :p, 'refused', '700.400.200', 'old spelling',"
                " :g, :h)"
            ),
            {"t": at.strftime("%Y-%m-%d %H:%M:%S"), "p": "a" * 32, "g": audit.GENESIS, "h": digest},
        )


@pytest.fixture
def old_file(sqlite_url: str) -> Iterator[Database]:
    """A SQLite file at revision 0002 holding timestamps in the old spellings."""
    db = Database(normalize_url(sqlite_url))
    migrate.upgrade(db.engine, "0002")
    rows = [dict(r) for r in demo_rows(OLD_ROWS, 5, NOW)]
    spell = [old_spelling(r["created_at"]) for r in rows]
    for i, pattern in enumerate(ODD_SPELLINGS):
        d, t = spell[i].split(" ")
        spell[i] = pattern.format(d=d, t=t)
    insert_spelled(db.engine, rows, spell)
    _old_audit_record(db.engine, datetime.fromisoformat(spell[-1]).replace(tzinfo=UTC))
    yield db
    db.dispose()


def _badly_spelled(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            int(
                conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {column} NOT GLOB '{STORAGE_GLOB}'")
                ).scalar_one()
            )
            for table, column, _ in TIMESTAMP_COLUMNS
        )


def test_upgrade_rewrites_every_old_spelling_keeping_the_instant(old_file: Database) -> None:
    engine = old_file.engine
    with old_file.uow() as uow:
        before = dict(uow.session.execute(select(TransactionRow.uuid, TransactionRow.created_at)).all())
    assert _badly_spelled(engine) == OLD_ROWS + 1
    migrate.upgrade(engine)
    assert _badly_spelled(engine) == 0
    with old_file.uow() as uow:
        after = dict(uow.session.execute(select(TransactionRow.uuid, TransactionRow.created_at)).all())
        assert after == before  # same instants (".5" read as half a second both times)
        assert audit.verify_chain(uow.session).ok  # the hash covers the instant, not its spelling


def test_audit_log_stays_append_only_after_the_rewrite(old_file: Database) -> None:
    migrate.upgrade(old_file.engine)
    with pytest.raises(DBAPIError, match="append-only"), old_file.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET message = 'changed'"))


def test_migrated_file_pages_and_exports_exactly_with_new_rows_at_the_same_seconds(
    old_file: Database, sqlite_url: str
) -> None:
    migrate.upgrade(old_file.engine)
    ctx: Context = make_context(sqlite_url)
    try:
        analyst = add_user(ctx, "analyst")
        with ctx.db.uow() as uow:
            stamps = select(TransactionRow.created_at).order_by(TransactionRow.id)
            for moment in list(uow.session.execute(stamps).scalars())[::4]:
                add_tx(ctx, created_at=moment)
        with ctx.db.uow() as uow:
            columns = (TransactionRow.created_at, TransactionRow.id, TransactionRow.uuid)
            want = [uuid for _, _, uuid in sorted(uow.session.execute(select(*columns)), reverse=True)]
        got: list[str] = []
        after = None
        while True:
            page = search.search_page(ctx, search.parse_filters(), actor=analyst, page_size=3, after=after)
            got += [r.uuid for r in page.rows]
            assert len(got) <= len(want), "a row was listed twice"
            if not page.has_next:
                break
            after = page.next_cursor
        assert got == want
        out = io.StringIO()
        search.export_csv(ctx, search.parse_filters(), out, actor=analyst, batch=2)
        assert [r["uuid"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == want
    finally:
        ctx.db.dispose()


@pytest.mark.parametrize(
    "spelling", ["2026-11-01 12:00:00", "2026-11-01T12:00:00.000000", "2026-11-01 12:00:00.000000+00:00"]
)
def test_sqlite_refuses_any_other_spelling_from_a_raw_writer(sqlite_ctx: Context, spelling: str) -> None:
    row = dict(next(iter(demo_rows(1, 9, NOW))))
    marks = ", ".join(f":{c}" for c in COLUMNS)
    insert = text(f"INSERT INTO transactions ({', '.join(COLUMNS)}) VALUES ({marks})")
    with pytest.raises(DBAPIError, match=FORMAT_MESSAGE), sqlite_ctx.db.engine.begin() as conn:
        conn.execute(insert, {**row, "created_at": spelling})
    with sqlite_ctx.db.engine.begin() as conn:
        conn.execute(insert, {**row, "created_at": "2026-11-01 12:00:00.000000"})
    with pytest.raises(DBAPIError, match=FORMAT_MESSAGE), sqlite_ctx.db.engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET created_at = :t"), {"t": spelling})


@pytest.mark.postgres
def test_raw_writer_with_plain_text_lands_in_the_right_place_on_postgresql(postgres_url: str) -> None:
    ctx = make_context(postgres_url)
    try:
        analyst = add_user(ctx, "analyst")
        tie = NOW - timedelta(hours=1)
        first = add_tx(ctx, created_at=tie)
        row = dict(next(iter(demo_rows(1, 9, NOW))))
        marks = ", ".join(f":{c}" for c in COLUMNS)
        with ctx.db.engine.begin() as conn:
            conn.execute(
                text(f"INSERT INTO transactions ({', '.join(COLUMNS)}) VALUES ({marks})"),
                {**row, "created_at": tie.strftime("%Y-%m-%d %H:%M:%S")},
            )
        since = search.parse_filters(date_from=tie)
        page = search.search_page(ctx, since, actor=analyst, page_size=1)
        second = search.search_page(ctx, since, actor=analyst, after=page.next_cursor)
        assert {page.rows[0].uuid, second.rows[0].uuid} == {first, row["uuid"]}
        assert not second.has_next
    finally:
        ctx.db.dispose()


def test_downgrade_drops_the_guards_and_upgrade_restores_them(sqlite_url: str) -> None:
    db = Database(normalize_url(sqlite_url))
    try:
        migrate.upgrade(db.engine)
        cfg = migrate._config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        names = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_format_%'"
        with db.engine.connect() as conn:
            assert conn.execute(text(names)).scalar_one() == 0
        migrate.upgrade(db.engine)
        with db.engine.connect() as conn:
            assert conn.execute(text(names)).scalar_one() == 2 * len(TIMESTAMP_COLUMNS)
    finally:
        db.dispose()


def test_rewrite_keeps_every_index_of_a_fresh_file(old_file: Database, tmp_path: object) -> None:
    migrate.upgrade(old_file.engine)
    fresh = Database(f"sqlite:///{tmp_path}/fresh.sqlite3")
    try:
        migrate.upgrade(fresh.engine)
        listing = text("SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name")
        with old_file.engine.connect() as a, fresh.engine.connect() as b:
            assert a.execute(listing).all() == b.execute(listing).all()
    finally:
        fresh.dispose()
