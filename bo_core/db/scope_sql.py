"""The one SQL form of a user's scope, joined into every query that reads transactions
or the audit trail (search, counts, exports, details, history, operations, approvals)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from bo_core.db.models import AuditRecord as A
from bo_core.db.models import TransactionRow as T
from bo_core.domain.scope import Scope

# Any mapped class with ``merchant`` and ``channel`` columns (transactions, approval requests).
Scoped = Any


def _parts(scope: Scope) -> tuple[list[str], list[tuple[str, str]]]:
    merchants = sorted(n.merchant for n in scope.nodes if n.channel is None)
    channels = sorted((n.merchant, n.channel) for n in scope.nodes if n.channel is not None)
    return merchants, [(m, c) for m, c in channels if m not in merchants]


def transactions_in(scope: Scope | None, table: Scoped = T) -> ColumnElement[bool] | None:
    """The WHERE term restricting ``transactions`` to ``scope``; ``None``: everything."""
    if scope is None or scope.everything:
        return None
    merchants, channels = _parts(scope)
    terms: list[ColumnElement[bool]] = []
    if merchants:
        terms.append(table.merchant.in_(merchants))
    terms.extend(and_(table.merchant == m, table.channel == c) for m, c in channels)
    if not terms:
        return false()
    return terms[0] if len(terms) == 1 else or_(*terms)


def audit_in(scope: Scope | None) -> ColumnElement[bool] | None:
    """The same for ``audit_log`` (which names the merchant; channels via the parent)."""
    if scope is None or scope.everything:
        return None
    merchants, channels = _parts(scope)
    terms: list[ColumnElement[bool]] = []
    if merchants:
        terms.append(A.merchant.in_(merchants))
    if channels:
        parents = select(T.uuid).where(or_(*(and_(T.merchant == m, T.channel == c) for m, c in channels)))
        terms.append(A.parent_uuid.in_(parents))
    if not terms:
        return false()
    return terms[0] if len(terms) == 1 else or_(*terms)


def where(term: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [] if term is None else [term]
