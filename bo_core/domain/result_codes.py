"""Result codes (``ddd.ddd.ddd``) and the status derived from them.

Status is never typed by hand: it follows from the code.

- SUCCESS: ``000.000.xxx``, ``000.100.1xx``, ``000.3xx.xxx``, ``000.6xx.xxx``
- PENDING: ``000.200.xxx``, ``800.400.5xx``, ``100.400.500``
- REJECTED: everything else
"""

from __future__ import annotations

import re

from bo_core.domain.types import Status

# ASCII digits only, whole string (``fullmatch``: no trailing newline slips through).
_FORMAT = re.compile(r"\d{3}\.\d{3}\.\d{3}", re.ASCII)
_SUCCESS = re.compile(r"000\.000\.\d{3}|000\.100\.1\d{2}|000\.[36]\d{2}\.\d{3}", re.ASCII)
_PENDING = re.compile(r"000\.200\.\d{3}|800\.400\.5\d{2}|100\.400\.500", re.ASCII)

# Codes the back office itself writes (successes and refusals).
SUCCESS = "000.000.000"
REFERENCE_NOT_FOUND = "700.100.100"
CURRENCY_MISMATCH = "700.100.500"
WRONG_TYPE = "700.300.100"
PARENT_REJECTED = "700.300.200"
ALREADY_PROCESSED = "700.300.300"
CAPTURE_WINDOW_EXPIRED = "700.300.400"
ALREADY_CHARGED_BACK = "700.300.500"
OPEN_CHARGEBACK = "700.300.600"
CAPTURE_EXCEEDS_AUTHORIZED = "700.400.100"
REFUND_VOLUME_EXCEEDED = "700.400.200"
NOTHING_TO_REVERSE = "700.400.300"
CHARGEBACK_REVERSAL_EXCEEDED = "700.400.400"
PARENT_PENDING = "700.400.570"
DUPLICATE_TRANSACTION_ID = "700.400.800"
AMOUNT_OVER_ROLE_LIMIT = "100.550.310"
INVALID_AMOUNT = "100.550.300"
INVALID_FIELD = "100.400.000"
PERMISSION_DENIED = "800.900.301"
USER_DISABLED = "800.900.302"
# Gateway codes the back office itself names (the demo data writes them too).
PENDING = "000.200.000"
EXTERNAL_UPDATE = "000.600.000"
# Gateway mode.
GATEWAY_NOT_FOUND = "700.400.580"
GATEWAY_GENERATED_ONLY = "700.400.402"
AWAITING_APPROVAL = "000.200.700"
APPROVAL_ALREADY_OPEN = "700.400.900"
APPROVAL_NOT_OPEN = "700.400.910"
REBILL_COUNT_EXCEEDED = "700.400.920"
REBILL_TOTAL_EXCEEDED = "700.400.930"

DESCRIPTIONS: dict[str, str] = {
    SUCCESS: "Transaction succeeded",
    "000.000.100": "Successful request",
    "000.100.110": "Request successfully processed in test mode",
    "000.100.112": "Request successfully processed in connector test mode",
    "000.300.000": "Two-step transaction succeeded",
    EXTERNAL_UPDATE: "Transaction succeeded due to external update",
    PENDING: "Transaction pending",
    "000.200.100": "Successfully created checkout, waiting for the customer",
    "800.400.500": "Waiting for confirmation of non-instant payment; denied for now",
    "100.400.500": "Waiting for external risk assessment",
    REFERENCE_NOT_FOUND: "Referenced transaction does not exist",
    CURRENCY_MISMATCH: "Referenced payment currency does not match the requested currency",
    WRONG_TYPE: "Referenced transaction cannot be used for this operation (wrong type)",
    PARENT_REJECTED: "Referenced transaction was rejected",
    ALREADY_PROCESSED: "Referenced transaction was already processed by this operation",
    CAPTURE_WINDOW_EXPIRED: "Referenced pre-authorization can no longer be captured (cut-off time reached)",
    ALREADY_CHARGED_BACK: "Referenced transaction was already charged back",
    OPEN_CHARGEBACK: "Referenced transaction has an open chargeback and cannot be refunded",
    CAPTURE_EXCEEDS_AUTHORIZED: "Capture exceeds the authorized amount or the authorization was reversed",
    REFUND_VOLUME_EXCEEDED: "Refund or chargeback volume exceeded",
    NOTHING_TO_REVERSE: "Nothing left to reverse",
    CHARGEBACK_REVERSAL_EXCEEDED: "Chargeback reversal exceeds the chargeback amount",
    PARENT_PENDING: "Cannot reference a pending transaction",
    DUPLICATE_TRANSACTION_ID: "Transaction ID already used by another operation of this merchant",
    AMOUNT_OVER_ROLE_LIMIT: "Amount exceeds the limit of the user's role",
    INVALID_AMOUNT: "Invalid amount",
    INVALID_FIELD: "Invalid request field",
    PERMISSION_DENIED: "User has no sufficient rights to process the transaction",
    USER_DISABLED: "User is disabled",
    AWAITING_APPROVAL: "Operation awaits approval by a second person",
    APPROVAL_ALREADY_OPEN: "An approval request for this operation is already open",
    APPROVAL_NOT_OPEN: "The approval request is no longer open",
    REBILL_COUNT_EXCEEDED: "The debit has reached the role's maximum number of rebills",
    REBILL_TOTAL_EXCEEDED: "The rebills of this debit would exceed the role's total limit",
    "800.100.151": "Transaction declined (invalid card)",
    "800.100.152": "Transaction declined by authorization system",
    "800.100.155": "Transaction declined (amount exceeds credit)",
    "800.100.171": "Transaction declined (pick up card)",
    "800.100.402": "Cc/bank account holder not valid",
    "100.100.101": "Invalid credit card, bank account number or bank name",
    "100.396.103": "Previously pending transaction timed out",
    "200.300.404": "Invalid or missing parameter",
    GATEWAY_NOT_FOUND: "Cannot find transaction: the gateway never received this request",
    GATEWAY_GENERATED_ONLY: "Chargebacks can only be generated internally by the payment system",
    "900.100.300": "Timeout, uncertain result",
    "800.600.100": "Transaction is being processed already",
    "800.120.100": "Too many requests (throttled)",
}


def is_valid_code(code: object) -> bool:
    return isinstance(code, str) and _FORMAT.fullmatch(code) is not None


def status_of(code: str) -> Status:
    """Derive the status of a transaction from its result code."""
    if not is_valid_code(code):
        raise ValueError(f"result code {str(code)[:40]!r} is not of the form ddd.ddd.ddd")
    if _SUCCESS.fullmatch(code):
        return Status.SUCCESS
    if _PENDING.fullmatch(code):
        return Status.PENDING
    return Status.REJECTED


def describe(code: str) -> str:
    return DESCRIPTIONS.get(code, "Unknown result code")
