"""Which transactions a user may see: nodes of the account tree.

The tree: the PSP root ``*`` above every merchant, channels below a merchant.
An assignment grants its node and everything below it. No assignment, nothing
visible; ``SYSTEM`` sees everything. The SQL form of a scope is written once,
in ``bo_core.db.scope_sql``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bo_core.domain.errors import InputError

ROOT = "*"
NODE_MAX = 64


@dataclass(frozen=True, order=True)
class Node:
    """``merchant`` (``*`` for the root) and optionally one of its channels."""

    merchant: str
    channel: str | None = None

    def covers(self, other: Node) -> bool:
        if self.merchant == ROOT:
            return True
        if self.merchant != other.merchant:
            return False
        return self.channel is None or self.channel == other.channel

    def label(self) -> str:
        if self.merchant == ROOT:
            return "* (all merchants)"
        return self.merchant if self.channel is None else f"{self.merchant} / {self.channel}"


@dataclass(frozen=True)
class Scope:
    nodes: frozenset[Node]

    @property
    def everything(self) -> bool:
        return Node(ROOT) in self.nodes

    def allows(self, merchant: str, channel: str | None) -> bool:
        return any(n.covers(Node(merchant, channel)) for n in self.nodes)

    def holds(self, node: Node) -> bool:
        """Whether this scope contains ``node`` entirely (an admin grants only that)."""
        return any(n.covers(node) for n in self.nodes)

    def merchant_visible(self, merchant: str) -> bool:
        """Some part of ``merchant`` is visible (for pickers)."""
        return self.everything or any(n.merchant == merchant for n in self.nodes)


EVERYTHING = Scope(frozenset({Node(ROOT)}))
NOTHING = Scope(frozenset())


def parse_node(merchant: object, channel: object = None) -> Node:
    """A node as typed: ``--merchant M [--channel C]``; ``*`` is the root (no channel)."""

    def text(name: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(name, "is required")
        value = value.strip()
        if len(value) > NODE_MAX or not value.isprintable():
            raise InputError(name, f"printable text, at most {NODE_MAX} characters")
        return value

    m = text("Merchant", merchant)
    c = (
        None
        if channel is None or (isinstance(channel, str) and not channel.strip())
        else text("Channel", channel)
    )
    if m == ROOT and c is not None:
        raise InputError("Channel", "the root '*' has no channel")
    if c == ROOT:
        raise InputError("Channel", "'*' is the root of merchants, not a channel; omit --channel")
    return Node(m, c)
