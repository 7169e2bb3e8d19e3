"""A gateway record (API response, query record or notification payload) as a bo row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bo_core.db.models import TransactionRow
from bo_core.domain import result_codes as rc
from bo_core.domain.errors import BoError
from bo_core.domain.money import parse_amount
from bo_core.domain.types import Source, TxType
from bo_core.gateway.settings import GatewaySettings

CARD_BRANDS = {
    "VISA",
    "MASTER",
    "AMEX",
    "DINERS",
    "DISCOVER",
    "JCB",
    "MAESTRO",
    "VISAELECTRON",
    "CARTEBANCAIRE",
}
BANK_BRANDS = {"DIRECTDEBIT_SEPA", "SEPA", "SOFORTUEBERWEISUNG", "GIROPAY", "IDEAL"}
CHILD_TYPES = {TxType.CP, TxType.RV, TxType.RF, TxType.RB, TxType.CB, TxType.CR}


class UnstorablePayload(BoError):
    """The record lacks what bo needs to store it (id, type, amount, currency, result)."""


def _text(data: dict[str, Any], *path: str) -> str | None:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _hex32(value: str | None, what: str) -> str:
    if value is None or len(value) != 32 or any(c not in "0123456789abcdef" for c in value.lower()):
        raise UnstorablePayload(f"{what} is not a 32-hex gateway id: {str(value)[:40]!r}")
    return value.lower()


def parse_timestamp(value: str | None) -> datetime:
    if not value:
        raise UnstorablePayload("timestamp is missing")
    for fmt in (
        "%Y-%m-%d %H:%M:%S.%f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%dT%H:%M:%S%z",
    ):
        try:
            return datetime.strptime(value, fmt).astimezone(UTC)
        except ValueError:
            continue
    raise UnstorablePayload(f"timestamp {value[:40]!r} is not a gateway timestamp")


def gateway_type(record: dict[str, Any]) -> TxType | None:
    """The record's type, or None for payment types bo does not keep (registrations, credits...)."""
    try:
        return TxType(_text(record, "paymentType") or "")
    except ValueError:
        return None


def to_row(
    record: dict[str, Any], settings: GatewaySettings, parent: TransactionRow | None
) -> TransactionRow:
    """A new row for ``record``; raises ``UnstorablePayload`` if it cannot be stored."""
    gid = _hex32(_text(record, "id"), "id")
    tx_type = gateway_type(record)
    if tx_type is None:
        raise UnstorablePayload(f"paymentType {_text(record, 'paymentType')!r} is not kept by bo")
    code = _text(record, "result", "code")
    if not rc.is_valid_code(code):
        raise UnstorablePayload("result.code is missing or malformed")
    assert code is not None
    currency = (_text(record, "currency") or "").upper()
    try:
        amount = parse_amount(_text(record, "amount"), currency)
    except BoError as exc:
        raise UnstorablePayload(f"amount/currency: {exc.message}") from None
    if tx_type in CHILD_TYPES and parent is None:
        raise UnstorablePayload(f"a {tx_type.label} needs its referenced transaction")
    if parent is not None and parent.currency != currency:
        raise UnstorablePayload("currency differs from the referenced transaction's")
    entity = _text(record, "authentication", "entityId") or settings.entity_id
    if parent is not None:
        merchant, channel = parent.merchant, parent.channel
    else:
        owner, mapped = settings.owner_of(entity)
        merchant, channel = owner, mapped or entity
    brand = (_text(record, "paymentBrand") or (parent.brand if parent else "UNKNOWN"))[:16]
    holder = _text(record, "card", "holder")
    given, surname = _text(record, "customer", "givenName"), _text(record, "customer", "surname")
    name = " ".join(p for p in (given, surname) if p) or None
    bin_ = _text(record, "card", "bin")
    return TransactionRow(
        uuid=gid,
        transaction_id=(_text(record, "merchantTransactionId") or gid)[:255],
        type=tx_type.value,
        parent_uuid=parent.uuid if parent is not None else None,
        amount_minor=amount.minor,
        currency=currency,
        result_code=code,
        result_description=(_text(record, "result", "description") or rc.describe(code))[:255],
        status=rc.status_of(code).value,
        merchant=merchant[:64],
        channel=channel[:64],
        payment_method=_method(brand, parent),
        brand=brand,
        bin=bin_[:6] if bin_ else None,
        last4=(_text(record, "card", "last4Digits") or "")[:4] or None,
        holder=holder[:128] if holder else None,
        holder_lc=holder[:128].lower() if holder else None,
        customer_name=name[:128] if name else None,
        customer_email=(_text(record, "customer", "email") or "")[:254] or None,
        customer_country=(_text(record, "billing", "country") or "")[:2].upper() or None,
        usage=(_text(record, "descriptor") or "")[:127] or None,
        memo=None,
        created_at=parse_timestamp(_text(record, "timestamp")),
        source=Source.GATEWAY.value,
        created_by=None,
    )


def _method(brand: str, parent: TransactionRow | None) -> str:
    if parent is not None:
        return parent.payment_method
    if brand.upper() in CARD_BRANDS:
        return "CC"
    return "DD" if brand.upper() in BANK_BRANDS else "VA"


def check(record: dict[str, Any]) -> None:
    """Raise ``UnstorablePayload`` unless ``record`` could be stored once its parent is known."""
    code = _text(record, "result", "code")
    if not rc.is_valid_code(code):
        raise UnstorablePayload("result.code is missing or malformed")
    try:
        parse_amount(_text(record, "amount"), (_text(record, "currency") or "").upper())
    except BoError as exc:
        raise UnstorablePayload(f"amount/currency: {exc.message}") from None
    parse_timestamp(_text(record, "timestamp"))
