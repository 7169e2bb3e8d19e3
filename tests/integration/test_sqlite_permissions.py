"""The embedded database is private to its owner: folder 0700, file (and WAL files) 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from bo_core.db import migrate
from bo_core.db.uow import Database


def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "share" / "bo"
    db = Database(f"sqlite:///{folder / 'bo.sqlite3'}")
    try:
        migrate.upgrade(db.engine)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in folder.iterdir():  # bo.sqlite3, -wal, -shm
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert (folder / "bo.sqlite3-wal").exists()
    finally:
        db.dispose()
