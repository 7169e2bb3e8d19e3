"""Unit of work: one database transaction that rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bo_core.db.engine import WRITE_OPTION, is_sqlite, make_engine, make_session_factory


class Database:
    """Owns the engine and session factory for one database URL."""

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, **engine_kwargs)
        self.session_factory: sessionmaker[Session] = make_session_factory(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def uow(self, *, write: bool = False) -> UnitOfWork:
        return UnitOfWork(self.session_factory, write=write)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """``with db.uow(write=True) as uow: ...; uow.commit()``.

    Leaving the block without ``commit()`` (or with an exception) rolls back.
    A write unit of work takes SQLite's write lock at its first statement.
    """

    session: Session

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = False) -> None:
        self._factory = session_factory
        self.write = write

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        if self.write:
            self.session.connection(execution_options={WRITE_OPTION: True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
