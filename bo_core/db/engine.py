"""Engines for SQLite (WAL, immediate write transactions) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bo_core.config import normalize_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "bo_write"
PGBOUNCER_ENV = "BO_DB_PGBOUNCER"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite: the file's folder is created, WAL journal, foreign keys on, a busy
    timeout, and transactions started by us: ``BEGIN IMMEDIATE`` for write units
    of work (so a writer holds the write lock from its first read, which is how
    the parent is "locked" on SQLite), ``BEGIN`` for reads.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database).expanduser())
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if behind_pgbouncer():
        # A pooler in transaction mode hands each transaction to any server
        # connection, where psycopg's prepared statements would not exist.
        kwargs["connect_args"] = {"prepare_threshold": None, **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


def behind_pgbouncer() -> bool:
    """``BO_DB_PGBOUNCER=1``: PostgreSQL is reached through PgBouncer in transaction mode."""
    return os.environ.get(PGBOUNCER_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _private_file(path: Path) -> None:
    """The SQLite file readable by its owner only: a new folder is created 0700, the file 0600
    (created empty here so it never exists wider; SQLite gives its -wal and -shm files the
    database file's permissions)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)  # whatever the umask


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
