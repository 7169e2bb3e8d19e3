"""``bo audit verify``: both chains (operations and security events), optionally against an anchor."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bo_core.domain.authorization import Actor
from bo_core.security.event_chain import verify_events
from bo_core.services.anchor import Anchor, verify_against_anchor
from bo_core.services.audit import ChainReport, verify_audit_chain
from bo_core.services.context import Context


@dataclass(frozen=True)
class TrailsReport:
    audit: ChainReport
    events: ChainReport

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.events.ok

    def to_dict(self) -> dict[str, Any]:
        """The audit chain's report at the top level (as before), the events' under ``security_events``."""
        data = asdict(self.audit)
        data["ok"] = self.ok
        data["audit_ok"] = self.audit.ok
        data["security_events"] = asdict(self.events)
        return data

    def lines(self) -> list[str]:
        out = [
            _line("audit chain", "records", self.audit),
            _line("security events chain", "events", self.events),
        ]
        for name, report in (("audit chain", self.audit), ("security events chain", self.events)):
            out.extend(f"{name}: sequence gap after seq={a} (next seq={b})" for a, b in report.gaps)
        return out


def _line(name: str, unit: str, report: ChainReport) -> str:
    if not report.ok:
        return f"{name} BROKEN at record seq={report.first_bad_seq}: {report.problem}"
    older = f" ({report.unkeyed} written before keyed MACs)" if report.unkeyed else ""
    return f"{name} intact: {report.records} {unit}{older}"


def verify_trails(ctx: Context, *, actor: Actor, anchor: Anchor | None = None) -> TrailsReport:
    """Check the audit chain (against ``anchor`` when given) and the security events chain."""
    if anchor is not None:
        audit = verify_against_anchor(ctx, anchor, actor=actor)
    else:
        audit = verify_audit_chain(ctx, actor=actor)  # checks history:view
    with ctx.db.uow() as uow:
        events = verify_events(uow.session)
    return TrailsReport(audit, events)
