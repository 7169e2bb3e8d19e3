"""Why money goes back: the reason a refund or chargeback carries.

Rules (enforced by ``run_operation``, whoever calls it):

- a refund or a chargeback needs a reason from the configured list
  (``BO_OPERATION_REASONS``; default: duplicate, fraudulent,
  requested_by_customer, other). Scripts written before reasons existed keep
  working: the command line (``bo run``, ``bo run --stdin``) and bulk files
  may leave it out (``required=False``; the record then shows no reason), but
  a reason they give is checked like any other;
- the reason ``other`` needs a note (printable text, at most ``NOTE_MAX``);
- any other operation takes no reason.

The reason is stored with the child transaction, the audit record and an
approval request (which hands it on to the execution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bo_core.domain.errors import ConfigurationError, InputError
from bo_core.domain.types import Operation

OTHER = "other"
DEFAULT_REASONS: tuple[str, ...] = ("duplicate", "fraudulent", "requested_by_customer", OTHER)
NEEDS_REASON = frozenset({Operation.REFUND, Operation.CHARGEBACK})
NOTE_MAX = 500
CODE_MAX = 32
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class OperationReason:
    code: str
    note: str | None


def reason_label(code: str | None) -> str:
    """``requested_by_customer`` → ``Requested by customer``; empty for no reason."""
    return code.replace("_", " ").capitalize() if code else ""


def parse_reason_list(raw: str | None) -> tuple[str, ...]:
    """The configured reason codes (comma-separated); ``None`` or blank: the defaults."""
    if raw is None or not raw.strip():
        return DEFAULT_REASONS
    codes = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    bad = [c for c in codes if not _CODE.fullmatch(c)]
    if bad:
        raise ConfigurationError(
            f"BO_OPERATION_REASONS: {bad[0][:40]!r} is not a reason code "
            "(lowercase letters, digits and _, at most 32 characters)"
        )
    return codes


def _note(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("Reason note", "must be text")
    text = value.strip().replace("\r\n", "\n")
    if not text:
        return None
    if len(text) > NOTE_MAX:
        raise InputError("Reason note", f"is {len(text)} characters long; at most {NOTE_MAX} are allowed")
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        raise InputError("Reason note", "contains a control or non-printable character")
    return text


def parse_reason(
    operation: Operation,
    code: object,
    note: object,
    allowed: tuple[str, ...] = DEFAULT_REASONS,
    *,
    required: bool = True,
) -> OperationReason | None:
    """Validate the reason of ``operation``; ``None`` for operations that take none.

    Raises ``InputError`` (nothing is written) for a missing or unknown reason,
    ``other`` without a note, or a reason given to an operation that takes none.
    """
    text = code.strip().lower() if isinstance(code, str) else code
    if operation not in NEEDS_REASON:
        if text or _note(note):
            raise InputError("Reason", f"a {operation.label.lower()} takes no reason")
        return None
    choices = ", ".join(allowed)
    if not text and not required and _note(note) is None:
        return None
    if not text:
        raise InputError("Reason", f"a {operation.label.lower()} needs a reason: one of {choices}")
    if not isinstance(text, str) or text not in allowed:
        raise InputError("Reason", f"{str(code)[:40]!r} is unknown; use one of {choices}")
    parsed_note = _note(note)
    if text == OTHER and parsed_note is None:
        raise InputError("Reason note", "the reason 'other' needs a note saying why")
    return OperationReason(text, parsed_note)
