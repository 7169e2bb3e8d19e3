"""The key of the audit chains' MAC (``BO_AUDIT_KEY``), kept outside the database.

Each chained record's hash covers an HMAC-SHA256 under this key, so whoever holds
only the database (its credentials, a backup, the files) cannot rewrite a record
and recompute the chain: ``bo audit verify`` recomputes the MACs with the key.

Where the key comes from, in order:

1. ``BO_AUDIT_KEY`` (at least 32 characters): required in production; the web
   app refuses to start without it (``bo_web.auth.startup_problems``);
2. otherwise a random key generated once and kept in a file beside the
   embedded SQLite database (``<database>.audit-key``, mode 0600), or for a
   server database in bo's data directory: the embedded demo and development.

Losing the key makes every keyed record fail verification: back it up with the
other secrets, not with the database.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bo_core.domain.errors import ConfigurationError

KEY_ENV = "BO_AUDIT_KEY"
KEY_MIN_LENGTH = 32
KEY_FILE_SUFFIX = ".audit-key"


def _data_dir() -> Path:
    return Path.home() / ".local" / "share" / "bo"


def key_file_for(url: str | URL) -> Path:
    """Where the generated key of this database lives (beside an SQLite file)."""
    parsed = make_url(url) if isinstance(url, str) else url
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        return Path(database).with_name(Path(database).name + KEY_FILE_SUFFIX)
    return _data_dir() / "audit-key"


def configured_key_problem() -> str | None:
    """Why ``BO_AUDIT_KEY`` cannot serve production (missing or too short); ``None`` when fine."""
    raw = os.environ.get(KEY_ENV, "")
    if not raw.strip():
        return f"{KEY_ENV} is not set: the audit chains need a secret key kept outside the database."
    if len(raw.strip()) < KEY_MIN_LENGTH:
        return f"{KEY_ENV} is too short: use at least {KEY_MIN_LENGTH} random characters."
    return None


def audit_key(url: str | URL) -> bytes:
    """The MAC key for the database at ``url`` (see the module docstring for the order)."""
    raw = os.environ.get(KEY_ENV, "").strip()
    if raw:
        if len(raw) < KEY_MIN_LENGTH:
            raise ConfigurationError(f"{KEY_ENV} must hold at least {KEY_MIN_LENGTH} characters")
        return raw.encode("utf-8")
    return _generated_key(str(key_file_for(url)))


@lru_cache(maxsize=32)
def _generated_key(path_text: str) -> bytes:
    path = Path(path_text)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under a private name, then linked: a concurrent reader sees all or nothing.
        temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process won; its key is the key
        finally:
            temp.unlink()
    text = path.read_text(encoding="ascii").strip()
    if len(text) < KEY_MIN_LENGTH:
        raise ConfigurationError(f"audit key file {path} is damaged (set {KEY_ENV} or restore the file)")
    return text.encode("ascii")
