"""Strict parsing of the operation dialog's text fields (limits from the spec)."""

from __future__ import annotations

from dataclasses import dataclass

from bo_core.domain.errors import InputError

USAGE_MAX = 127
TRANSACTION_ID_MAX = 255
MEMO_MAX = 1000
IDEMPOTENCY_KEY_MAX = 128


@dataclass(frozen=True, slots=True)
class OperationFields:
    usage: str | None
    transaction_id: str | None
    memo: str | None


def _text(value: object, field: str, limit: int, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    text = value.strip()
    if multiline:
        text = text.replace("\r\n", "\n")  # Windows line breaks count as one
    if not text:
        return None
    if len(text) > limit:
        raise InputError(field, f"is {len(text)} characters long; at most {limit} are allowed")
    allowed_controls = "\n\t" if multiline else ""
    bad = next((ch for ch in text if not ch.isprintable() and ch not in allowed_controls), None)
    if bad is not None:
        raise InputError(field, f"contains a control or non-printable character (U+{ord(bad):04X})")
    return text


def parse_fields(usage: object, transaction_id: object, memo: object) -> OperationFields:
    """Usage: printable, <= 127. Transaction ID: printable, <= 255 (None means
    "suggest one"). Memo: printable plus line breaks and tabs, <= 1000."""
    return OperationFields(
        usage=_text(usage, "Usage", USAGE_MAX),
        transaction_id=_text(transaction_id, "Transaction ID", TRANSACTION_ID_MAX),
        memo=_text(memo, "Memo", MEMO_MAX, multiline=True),
    )


def parse_idempotency_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError("Idempotency key", "must be non-empty text")
    key = value.strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise InputError(
            "Idempotency key", f"must be printable ASCII of at most {IDEMPOTENCY_KEY_MAX} characters"
        )
    return key
