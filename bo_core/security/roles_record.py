"""``roles_loaded``: which roles file (and its SHA-256) a process runs with, on the record.

Recorded when a process opens the database and the file's hash differs from the
last one recorded, so a changed roles file shows up once, not on every command.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from bo_core.db.security_models import SecurityEvent
from bo_core.domain.authorization import SYSTEM
from bo_core.domain.permissions import DEFAULT_ROLES_TOML
from bo_core.security import events
from bo_core.services.context import Context

BUILT_IN = "(built-in roles)"


def roles_fingerprint(roles_file: str | None) -> tuple[str, str]:
    """(source, sha256 of its bytes) of the roles the settings were read from."""
    if roles_file is None:
        return BUILT_IN, hashlib.sha256(DEFAULT_ROLES_TOML.encode("utf-8")).hexdigest()
    return roles_file, hashlib.sha256(Path(roles_file).read_bytes()).hexdigest()


def note_roles_loaded(ctx: Context) -> bool:
    """Record ``roles_loaded`` unless the last such event names the same file and hash."""
    source, digest = roles_fingerprint(ctx.settings.roles_file)
    wanted = f"{source}\n{digest}"
    with ctx.db.uow() as uow:
        last = uow.session.execute(
            select(SecurityEvent.target, SecurityEvent.detail)
            .where(SecurityEvent.kind == events.ROLES_LOADED)
            .order_by(SecurityEvent.id.desc())
            .limit(1)
        ).first()
    if last is not None and f"{last[0]}\n{digest}" == wanted and digest in (last[1] or ""):
        return False
    events.record_security_event(
        ctx,
        events.ROLES_LOADED,
        actor=SYSTEM,
        target=source,
        details={"sha256": digest, "file": source, "roles": sorted(ctx.settings.roles)},
    )
    return True
