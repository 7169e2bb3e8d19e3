"""Turn any exception met by a page into words; never a traceback for the user."""

from __future__ import annotations

import logging

from bo_core.domain.errors import BoError
from bo_web.safe import md

log = logging.getLogger("bo.web")

UNEXPECTED = (
    "This could not be done because of an unexpected error (the database may be unavailable). "
    "Try again in a moment; if it persists, tell an administrator."
)


def explain(exc: Exception) -> str:
    """The message of a domain error (as inert text: it may echo input), or a generic one
    (the details go to the log)."""
    if isinstance(exc, BoError):
        return md(exc.message)
    log.error("unexpected error on a page", exc_info=exc)
    return UNEXPECTED
