"""`bo run --stdin`: many operations in one process, one JSON object per line.

Each input line is an object with the keys of ``bo run``: ``operation``, ``uuid``, ``as``
(the acting user) and optionally ``amount``, ``usage``, ``transaction_id``, ``memo``,
``idempotency_key`` (and any other field ``OperationRequest`` takes). Each line is run
by ``run_operation`` exactly as ``bo run`` would, in its own transaction, and answered
by one JSON line on stdout: the ``bo run --json`` object plus ``line``, or
``{"line", "outcome": "error", "error", "result_code"}`` for a line that could not run.
A bad line never stops the others. One process opens the database once, so a script
pays the start-up cost once instead of once per operation.

Exit code: 2 when any line was malformed, else 1 when any was refused, else 3 when any
outcome is unknown at the gateway, else 4 when any awaits approval, else 0.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import IO, Any

from bo_core.domain.errors import BoError, InputError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNKNOWN, EXIT_AWAITING = 0, 1, 2, 3, 4
_ALIASES = {"uuid": "parent_uuid", "as": "username", "note": "reason_note"}
# A script confirms what it sends, and may leave the reason out, as ``bo run`` does.
_NOT_FROM_LINES = {"confirmed", "reason_required"}
_SEVERITY = (EXIT_USAGE, EXIT_REFUSED, EXIT_UNKNOWN, EXIT_AWAITING)


class _BadLine(Exception):
    pass


def _request(raw: str) -> Any:
    from bo_core.services.execute import OperationRequest

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not a JSON object: {exc.msg}") from None
    if not isinstance(data, dict):
        raise _BadLine("not a JSON object")
    fields = {f.name for f in dataclasses.fields(OperationRequest)} - _NOT_FROM_LINES
    values: dict[str, Any] = {}  # text only: the bool fields are not taken from lines
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name not in fields:
            raise _BadLine(f"unknown key {key!r}")
        if value is not None and not isinstance(value, str | int | float):
            raise _BadLine(f"{key!r} must be text or a number")
        if value is not None:
            values[name] = str(value)
    missing = [
        k
        for k, name in (("operation", "operation"), ("uuid", "parent_uuid"), ("as", "username"))
        if not values.get(name)
    ]
    if missing:
        raise _BadLine(f"missing {', '.join(missing)}")
    return OperationRequest(**values, reason_required=False)


def _code_of(outcome: str) -> int:
    return {"success": EXIT_OK, "unknown": EXIT_UNKNOWN, "awaiting_approval": EXIT_AWAITING}.get(
        outcome, EXIT_REFUSED
    )


def run_lines(lines: Iterable[str], out: IO[str]) -> int:
    from bo_core.services.context import open_context
    from bo_core.services.execute import run_operation

    ctx = open_context()
    codes: set[int] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        answer: dict[str, Any]
        try:
            result = run_operation(ctx, _request(raw))
        except _BadLine as exc:
            answer, code = {"outcome": "error", "error": str(exc), "result_code": None}, EXIT_USAGE
        except InputError as exc:
            answer = {"outcome": "error", "error": exc.message, "result_code": exc.result_code}
            code = EXIT_USAGE
        except BoError as exc:
            answer = {"outcome": "refused", "error": exc.message, "result_code": exc.result_code}
            code = EXIT_REFUSED
        else:
            answer, code = result.to_dict(), _code_of(result.outcome)
        codes.add(code)
        out.write(json.dumps({"line": number, **answer}, ensure_ascii=False, default=str) + "\n")
        out.flush()
    return next((c for c in _SEVERITY if c in codes), EXIT_OK)
