"""Where a request comes from: the channel, the web session, the operating-system user.

Every audit record and security event names its channel (``web``, ``cli``,
``webhook``, ``reconciler``, ``bulk``); a web record names the session (a
prefix of the session id, itself a hash: never the browser's token) and a
command-line record the operating-system user (``--as USER`` is the command
line acting for that user). The entry points set the origin once per request
with ``use_origin``; the chain writers read ``current_origin``.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import ParamSpec, TypeVar

CHANNELS = ("web", "cli", "webhook", "reconciler", "bulk")
P = ParamSpec("P")
R = TypeVar("R")
SESSION_REF_LENGTH = 16


def os_user() -> str | None:
    """The operating-system account running this process (``None`` when unknown)."""
    try:
        return getpass.getuser()[:64] or None
    except Exception:  # no passwd entry, no LOGNAME: not worth failing a request for
        return None


@dataclass(frozen=True)
class Origin:
    channel: str
    session_ref: str | None = None
    os_user: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")


def session_ref(session_id: str | None) -> str | None:
    """The part of a session id an audit record keeps (enough to find the session row)."""
    return session_id[:SESSION_REF_LENGTH] if session_id else None


_CURRENT: ContextVar[Origin | None] = ContextVar("bo_origin", default=None)


_fallback: Callable[[], Origin | None] | None = None


def register_fallback(find: Callable[[], Origin | None]) -> None:
    """The web registers how to tell a Streamlit script run (and its session) when nothing was set."""
    global _fallback
    _fallback = find


def current_origin() -> Origin:
    """The origin set by the entry point, else the registered fallback's, else the command line."""
    found = _CURRENT.get()
    if found is None and _fallback is not None:
        found = _fallback()
    return found if found is not None else Origin("cli", os_user=os_user())


def set_origin(origin: Origin) -> None:
    """Set the origin for the rest of this thread's request (a Streamlit script run)."""
    _CURRENT.set(origin)


@contextmanager
def use_origin(channel: str, *, session: str | None = None, user: str | None = None) -> Iterator[Origin]:
    """Run the block with this origin; the web passes its session id, the CLI its OS user."""
    origin = Origin(channel, session_ref=session_ref(session), os_user=user)
    token = _CURRENT.set(origin)
    try:
        yield origin
    finally:
        _CURRENT.reset(token)


@contextmanager
def as_channel(channel: str) -> Iterator[Origin]:
    """The same origin through another channel (a bulk run started on the web stays in that session)."""
    origin = replace(current_origin(), channel=channel)
    token = _CURRENT.set(origin)
    try:
        yield origin
    finally:
        _CURRENT.reset(token)


def through(channel: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service whose every record goes through ``channel`` (bulk runs, the reconciler)."""

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with as_channel(channel):
                return func(*args, **kwargs)

        return run

    return wrap
