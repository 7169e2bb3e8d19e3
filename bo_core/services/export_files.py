"""Exports as temporary files a web session owns, audited, capped and short-lived.

An export is written row batch by row batch (keyset queries, constant memory) to a
file in ``Settings.export_dir``, UTF-8 with a byte-order mark so spreadsheet
programs read the accents right. A JSON sidecar names the owning session, the
download name and the expiry; the web layer streams the file to that session only
(``claim_download``) and deletes it after the download (``remove_export``) or at
expiry (``sweep_expired``). Every export is recorded as a security event of kind
``export`` (who, when, which filters, how many rows).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bo_core.domain.authorization import Actor
from bo_core.domain.errors import InputError
from bo_core.domain.filters import HistoryFilters, SearchFilters
from bo_core.domain.permissions import Permission
from bo_core.security.events import record_security_event
from bo_core.services import history, search
from bo_core.services.access import require
from bo_core.services.context import Context
from bo_core.services.export import personal_data_allowed, plain

EXPORT = "export"  # the security event kind
_TOKEN_BYTES = 24
Progress = Callable[[int], object] | None


@dataclass(frozen=True)
class ExportFile:
    token: str  # names the file; the download URL is /media/export/<token>
    file_name: str  # the download's name, stamped in UTC
    rows: int
    size: int  # bytes
    created_at: datetime
    expires_at: datetime
    personal: bool  # full e-mail addresses and holder names


@dataclass(frozen=True)
class Download:
    path: Path
    file_name: str
    size: int


def _export_dir(ctx: Context) -> Path:
    path = Path(ctx.settings.export_dir or Path(tempfile.gettempdir()) / "bo-exports")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _valid_token(token: object) -> bool:
    return isinstance(token, str) and 16 <= len(token) <= 64 and all(c in "0123456789abcdef" for c in token)


def _paths(ctx: Context, token: str) -> tuple[Path, Path]:
    base = _export_dir(ctx)
    return base / f"{token}.csv", base / f"{token}.json"


def file_stamp(moment: datetime) -> str:
    """``20261125T030229Z``: UTC, like every timestamp of the app."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def transactions_export_size(ctx: Context, filters: SearchFilters, *, actor: Actor) -> search.CountResult:
    """How many rows an export of ``filters`` would hold (``capped``: more than the cap)."""
    return search.count_matches(ctx, filters, actor=actor, cap=ctx.settings.export_max_rows)


def history_export_size(ctx: Context, filters: HistoryFilters, *, actor: Actor) -> search.CountResult:
    """How many attempts an export of ``filters`` would hold (``capped``: more than the cap)."""
    n = history.count_history(ctx, filters, actor=actor, cap=ctx.settings.export_max_rows)
    cap = ctx.settings.export_max_rows
    return search.CountResult(value=min(n, cap), capped=n > cap)


def export_transactions(
    ctx: Context,
    filters: SearchFilters,
    *,
    actor: Actor,
    owner_session: str,
    columns: list[str] | None = None,
    progress: Progress = None,
) -> ExportFile:
    """The matching transactions as a temporary CSV owned by ``owner_session``."""
    require(ctx, actor, Permission.TRANSACTIONS_VIEW)
    size = transactions_export_size(ctx, filters, actor=actor)
    _check_cap(ctx, size)
    personal = personal_data_allowed(ctx, actor)

    def write(out: TextIO) -> int:
        return search.export_csv(ctx, filters, out, actor=actor, progress=progress, columns=columns)

    return _build(ctx, "transactions", filters, actor, owner_session, personal, write)


def export_history(
    ctx: Context, filters: HistoryFilters, *, actor: Actor, owner_session: str, progress: Progress = None
) -> ExportFile:
    """The matching operation attempts as a temporary CSV owned by ``owner_session``."""
    require(ctx, actor, Permission.HISTORY_VIEW)
    _check_cap(ctx, history_export_size(ctx, filters, actor=actor))

    def write(out: TextIO) -> int:
        return history.export_history_csv(ctx, filters, out, actor=actor, progress=progress)

    return _build(ctx, "operation-history", filters, actor, owner_session, False, write)


def _check_cap(ctx: Context, size: search.CountResult) -> None:
    if size.capped:
        raise InputError(
            "Export",
            f"more than {ctx.settings.export_max_rows:,} rows match; narrow the filters "
            "(the cap is the BO_EXPORT_MAX_ROWS setting)",
        )


def _build(
    ctx: Context,
    what: str,
    filters: object,
    actor: Actor,
    owner_session: str,
    personal: bool,
    write: Callable[[TextIO], int],
) -> ExportFile:
    if not isinstance(owner_session, str) or not owner_session:
        raise InputError("Export", "needs the session that will download it")
    sweep_expired(ctx)
    token = secrets.token_hex(_TOKEN_BYTES)
    data, meta = _paths(ctx, token)
    now = ctx.now()
    try:
        fd = os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        # utf-8-sig writes the byte-order mark; the text layer flushes in chunks.
        with open(fd, "w", encoding="utf-8-sig", newline="", buffering=1 << 16) as out:
            rows = write(out)
    except BaseException:
        data.unlink(missing_ok=True)
        raise
    export = ExportFile(
        token=token,
        file_name=f"{what}-{file_stamp(now)}.csv",
        rows=rows,
        size=data.stat().st_size,
        created_at=now,
        expires_at=now + timedelta(minutes=ctx.settings.export_ttl_minutes),
        personal=personal,
    )
    sidecar = {
        "session": owner_session,
        "file_name": export.file_name,
        "expires_at": export.expires_at.isoformat(),
    }
    meta.write_text(json.dumps(sidecar), encoding="utf-8")
    detail = {"export": what, "filters": plain(filters), "rows": rows, "personal": personal}
    record_security_event(
        ctx,
        EXPORT,
        username=str(actor),
        actor=str(actor),
        target=what,
        detail=json.dumps(detail),
        details=detail,
    )
    return export


def claim_download(ctx: Context, token: str, session_id: str | None) -> Download | None:
    """The file behind ``token`` when ``session_id`` owns it and it has not expired; else None."""
    if not _valid_token(token) or not session_id:
        return None
    data, meta = _paths(ctx, token)
    try:
        sidecar = json.loads(meta.read_text(encoding="utf-8"))
        size = data.stat().st_size
    except (OSError, ValueError):
        return None
    if not secrets.compare_digest(str(sidecar.get("session", "")), session_id):
        return None
    if datetime.fromisoformat(sidecar["expires_at"]) <= ctx.now():
        remove_export(ctx, token)
        return None
    return Download(path=data, file_name=str(sidecar["file_name"]), size=size)


def remove_export(ctx: Context, token: str) -> None:
    """Delete an export's file and sidecar (after its download, or when it is replaced)."""
    if not _valid_token(token):
        return
    for path in _paths(ctx, token):
        path.unlink(missing_ok=True)


def sweep_expired(ctx: Context) -> int:
    """Delete every export past its expiry (and files without a readable sidecar); return how many."""
    removed = 0
    now = ctx.now()
    for meta in _export_dir(ctx).glob("*.json"):
        try:
            expires = datetime.fromisoformat(json.loads(meta.read_text(encoding="utf-8"))["expires_at"])
        except (OSError, ValueError, KeyError):
            expires = now
        if expires <= now:
            remove_export(ctx, meta.stem)
            removed += 1
    return removed
