"""What a security event may keep: no password, token or secret; no full card number.

Detail keys that name a secret are replaced by ``[redacted]``; any run of 13 to
19 digits (spaces or dashes allowed between them, as a card number is written)
keeps only its last four digits (hexadecimal hashes and ids of 32 characters or
more are left whole).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"pass|secret|token|otp|cookie|credential|recovery|pin\b|cvv|cvc", re.I)
_CARD = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return "*" * (len(digits) - 4) + digits[-4:]


_HEX_ID = re.compile(r"([0-9A-Fa-f]{32,})")  # hashes and UUIDs are kept whole


def redact_text(text: str) -> str:
    """The text with every card-number-like digit run masked to its last four digits."""
    parts = _HEX_ID.split(text)
    return "".join(part if i % 2 else _CARD.sub(_mask, part) for i, part in enumerate(parts))


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): (REDACTED if _SECRET_KEY.search(str(k)) else _clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def redact_details(details: Mapping[str, object], message: str = "") -> str:
    """``details`` (plus ``message`` when given) as redacted, sorted JSON."""
    content = dict(details)
    if message:
        content.setdefault("message", message)
    return json.dumps(_clean(content), sort_keys=True, ensure_ascii=False, default=str)
