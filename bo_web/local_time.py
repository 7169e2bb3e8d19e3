"""The user's local time beside UTC, with the zone named (the browser's time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def browser_zone() -> ZoneInfo | None:
    """The browser's IANA time zone (``st.context.timezone``), or None when unknown or UTC."""
    try:
        name = st.context.timezone
    except Exception:  # no browser (AppTest, bare mode)
        return None
    if not name or name in {"UTC", "Etc/UTC"}:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local(moment: datetime, zone: ZoneInfo | None) -> datetime | None:
    """``moment`` (aware or naive UTC) in ``zone``, naive for display; None without a zone."""
    if zone is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).replace(tzinfo=None)


def both(moment: datetime, zone: ZoneInfo | None) -> str:
    """``2026-11-25 03:10 UTC (04:10 Europe/Berlin)``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = f"{aware.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    there = local(aware, zone)
    return f"{text} ({there:%Y-%m-%d %H:%M} {zone.key})" if there is not None and zone is not None else text
