"""Fault injection, set per test through ``POST /__sandbox/faults``.

``{"faults": [{"kind": "timeout_after_booking", "on": "RF", "times": 1, "seconds": 3}]}``

Kinds on payment requests: ``delay`` (then normal), ``timeout_after_booking``
(books, then answers after ``seconds``), ``error_before_booking`` (503, nothing
booked), ``error_after_booking`` (books, answers 500), ``reset_before_booking`` /
``reset_after_booking`` (TCP reset), ``throttle`` (429, nothing booked),
``uncertain`` (answers 900.100.300; books when ``book`` is true),
``duplicate_webhook`` and ``late_webhook`` (the notification is sent twice, or
after ``seconds``). ``on`` is a paymentType, ``query`` or ``*``; ``times`` how
many matching requests the rule hits.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = {
    "delay",
    "timeout_after_booking",
    "error_before_booking",
    "error_after_booking",
    "reset_before_booking",
    "reset_after_booking",
    "throttle",
    "uncertain",
    "duplicate_webhook",
    "late_webhook",
}


@dataclass
class Rule:
    kind: str
    on: str = "*"
    times: int = 1
    seconds: float = 1.0
    book: bool = True


class Faults:
    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._lock = threading.Lock()

    def replace(self, rules: list[dict[str, Any]]) -> None:
        parsed = [Rule(**r) for r in rules]
        for rule in parsed:
            if rule.kind not in KINDS:
                raise ValueError(f"unknown fault {rule.kind!r}")
        with self._lock:
            self._rules = parsed

    def take(self, target: str) -> Rule | None:
        """The first rule matching ``target`` (a paymentType or ``query``), used up once."""
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and (rule.on == target or (rule.on == "*" and target != "query")):
                    rule.times -= 1
                    return rule
        return None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": [asdict(r) for r in self._rules]}
