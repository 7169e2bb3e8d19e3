"""Shared fixtures: real SQLite files and a real PostgreSQL server.

PostgreSQL tests read the server's URL from ``BO_TEST_POSTGRES_URL``. Without
it they skip on a developer machine, but fail under CI (``CI=true``): the
PostgreSQL suite must run there. Each test gets its own schema, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bo_core.config import Settings, normalize_url
from bo_core.db import migrate
from bo_core.db.uow import Database
from bo_core.domain.permissions import load_roles
from bo_core.services.context import Context
from tests.factories import Clock

PG_ENV = "BO_TEST_POSTGRES_URL"
pytest_plugins = ["tests.gateway_support"]  # the gateway sandbox fixtures
# bcrypt's lowest cost keeps the hundreds of users the tests create cheap; the
# production default stays 12. Subprocesses (CLI, streamlit) inherit it.
os.environ.setdefault("BO_BCRYPT_ROUNDS", "4")
# Production requires the audit chains' MAC key; every process of a test run shares this one
# (tests of the generated key and of its absence remove it).
os.environ.setdefault("BO_AUDIT_KEY", "test-audit-key-0123456789abcdef-0123456789abcdef")


def postgres_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set: the PostgreSQL tests must run in CI")
        pytest.skip(f"{PG_ENV} not set")
    return normalize_url(url)


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bo.sqlite3'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema on the test server, dropped afterwards."""
    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # the server must be reachable when configured
        pytest.fail(f"PostgreSQL at {PG_ENV} is unreachable: {exc}")
    try:
        yield _with_search_path(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Both backends: the same test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


def make_context(url: str, clock: Clock | None = None, **settings: object) -> Context:
    settings.setdefault("bcrypt_rounds", 4)
    s = Settings(database_url=normalize_url(url), roles=load_roles(None), **settings)  # type: ignore[arg-type]
    db = Database(s.database_url)
    migrate.upgrade(db.engine)
    ctx = Context(db=db, settings=s)
    if clock is not None:
        ctx.clock = clock
    return ctx


@pytest.fixture
def ctx(db_url: str, clock: Clock) -> Iterator[Context]:
    """A migrated database on each backend, with a settable clock."""
    context = make_context(db_url, clock, capture_window=timedelta(days=30))
    yield context
    context.db.dispose()


@pytest.fixture
def sqlite_ctx(sqlite_url: str, clock: Clock) -> Iterator[Context]:
    context = make_context(sqlite_url, clock)
    yield context
    context.db.dispose()
