"""Personal data as the screen shows it: e-mail and names shortened, never in full.

One rule for the screen and for exports (exports show full values only to a role
with ``transactions:export_personal``).
"""

from __future__ import annotations


def mask_email(value: str | None) -> str | None:
    """``jane.doe@example.com`` → ``j•••@example.com`` (the domain stays searchable)."""
    if not value or "@" not in value:
        return value
    local, _, domain = value.partition("@")
    return f"{local[:1]}•••@{domain}"


def mask_name(value: str | None) -> str | None:
    """``Jane Doe`` → ``Jane D.``."""
    if not value:
        return value
    parts = value.split()
    return " ".join([parts[0], *(p[:1] + "." for p in parts[1:])]) if parts else value
