"""Domain exceptions. Raised in the core; turned into words only at the edge.

``InputError`` subclasses mean the request itself is malformed: nothing is
written. ``OperationRefused`` subclasses are business refusals: they carry a
result code and are recorded in the audit trail.
"""

from __future__ import annotations

from bo_core.domain import result_codes as rc


class BoError(Exception):
    """Base of every error the core raises on purpose."""

    result_code: str = rc.INVALID_FIELD

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(BoError):
    """A field of a request is malformed. Nothing is written."""

    def __init__(self, field: str, message: str, result_code: str = rc.INVALID_FIELD) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.result_code = result_code


class InvalidAmount(InputError):
    def __init__(self, message: str) -> None:
        super().__init__("Amount", message, rc.INVALID_AMOUNT)


class NotFound(BoError):
    result_code = rc.REFERENCE_NOT_FOUND


class IdempotencyKeyReused(BoError):
    """The same idempotency key was sent for a different request."""


class AuthenticationError(BoError):
    """Sign-in refused (wrong credentials, locked or disabled account)."""


class DatabaseUnavailable(BoError):
    """The database connection failed mid-request; the transaction was rolled back
    or its outcome is unknown. Retrying with the same idempotency key is safe."""


class ConfigurationError(BoError):
    """Settings or role configuration are unusable."""


class OperationRefused(BoError):
    """A business rule refuses the operation; audited with its result code."""

    def __init__(self, result_code: str, message: str | None = None) -> None:
        super().__init__(message or rc.describe(result_code))
        self.result_code = result_code


class PermissionDenied(OperationRefused):
    def __init__(self, message: str, result_code: str = rc.PERMISSION_DENIED) -> None:
        super().__init__(result_code, message)
