"""The domain's names the pages need (permissions, types, operations, outcomes).

Pages import ``bo_web`` and ``bo_core.services`` only; this module hands them
the few domain enums they show or compare.
"""

from bo_core.domain.permissions import Permission
from bo_core.domain.types import Operation, Outcome, TxType

__all__ = ["Operation", "Outcome", "Permission", "TxType"]
