"""Typed SQLAlchemy 2.x models. Enums are stored by their string value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from bo_core.db.timestamps import SQLITE_STORAGE_FORMAT
from bo_core.domain.fields import IDEMPOTENCY_KEY_MAX, TRANSACTION_ID_MAX, USAGE_MAX
from bo_core.domain.types import Source, Status, TxType


def _by_value(kind: type[Any], length: int) -> Enum:
    """A ``StrEnum`` column stored by value in a VARCHAR; rows read back as members.

    The database's CHECK constraints (migration 0003a) refuse any other value.
    """
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns timezone-aware UTC datetimes."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":  # one fixed-width text spelling (see bo_core.db.timestamps)
            stored = sqlite.DATETIME(storage_format=SQLITE_STORAGE_FORMAT)  # type: ignore[no-untyped-call]
            return dialect.type_descriptor(stored)
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC)


# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

uuid32 = Annotated[str, mapped_column(String(32))]
utc = Annotated[datetime, mapped_column(UTCDateTime())]


class Base(DeclarativeBase):
    pass


class TransactionRow(Base):
    """One immutable payment event. Operations add children; nothing edits a row."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uuid: Mapped[uuid32] = mapped_column(unique=True)
    transaction_id: Mapped[str] = mapped_column(String(TRANSACTION_ID_MAX))
    type: Mapped[TxType] = mapped_column(_by_value(TxType, 2))
    parent_uuid: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("transactions.uuid"), nullable=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    result_code: Mapped[str] = mapped_column(String(11))
    result_description: Mapped[str] = mapped_column(String(255))
    status: Mapped[Status] = mapped_column(_by_value(Status, 10))
    merchant: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(8))
    brand: Mapped[str] = mapped_column(String(16))
    bin: Mapped[str | None] = mapped_column(String(6), nullable=True)
    last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    holder_lc: Mapped[str | None] = mapped_column(String(128), nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    customer_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    customer_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    usage: Mapped[str | None] = mapped_column(String(USAGE_MAX), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[utc]
    source: Mapped[Source] = mapped_column(_by_value(Source, 12))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Gateway mode: why a back-office child is still pending, and the UUID it had
    # while its attempt was in flight (before the gateway's id replaced it).
    pending_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempt_uuid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Refunds and chargebacks: why (one of the configured reasons) and, for "other", a note.
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason_note: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        Index("ix_tx_transaction_id", "transaction_id"),
        Index("ix_tx_status_source_created", "status", "source", "created_at"),
        Index("ix_tx_attempt_uuid", "attempt_uuid"),
        Index("ix_tx_parent_uuid", "parent_uuid"),
        Index("ix_tx_created_at", "created_at", "id"),
        Index("ix_tx_merchant_status_created", "merchant", "status", "created_at"),
        Index("ix_tx_type_status_created", "type", "status", "created_at"),
        Index("ix_tx_last4_created", "last4", "created_at"),
        # Prefix search ranges: plain indexes on SQLite (byte order); on PostgreSQL
        # the "C"-collated ones declared below the class (migration 0002).
        Index("ix_tx_customer_email", "customer_email").ddl_if(dialect="sqlite"),
        Index("ix_tx_holder_lc", "holder_lc").ddl_if(dialect="sqlite"),
        Index("ix_tx_currency_amount", "currency", "amount_minor"),
        Index("ix_tx_currency_created", "currency", "created_at"),
        Index("ix_tx_brand_created", "brand", "created_at"),
        Index("ix_tx_payment_method_created", "payment_method", "created_at"),
        # Duplicate Transaction IDs of back-office operations are refused per merchant;
        # this partial unique index is the last line of defence under concurrency.
        Index(
            "ux_tx_backoffice_merchant_txid",
            "merchant",
            "transaction_id",
            unique=True,
            sqlite_where=text("source = 'back_office'"),
            postgresql_where=text("source = 'back_office'"),
        ),
    )


Index("ix_tx_customer_email_c", TransactionRow.customer_email.collate("C")).ddl_if(dialect="postgresql")
Index("ix_tx_holder_lc_c", TransactionRow.holder_lc.collate("C")).ddl_if(dialect="postgresql")


class AuditRecord(Base):
    """One submitted operation attempt, successful or refused. Append-only.

    ``prev_hash``/``hash`` chain the records: each hash covers the record's
    content and the previous record's hash (see ``bo_core.services.audit``).
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[utc]
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    operation: Mapped[str] = mapped_column(String(24))
    parent_uuid: Mapped[str] = mapped_column(String(32))
    child_uuid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    merchant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    available_before_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    available_after_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(TRANSACTION_ID_MAX), nullable=True)
    usage: Mapped[str | None] = mapped_column(String(USAGE_MAX), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    result_code: Mapped[str] = mapped_column(String(11))
    message: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(
        String(IDEMPOTENCY_KEY_MAX), nullable=True, unique=True
    )
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The amount asked for, refused attempts included (``amount_minor``: what was booked).
    attempted_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Where the request came from (``bo_core.services.origin``) and how ``hash`` was computed.
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    session_ref: Mapped[str | None] = mapped_column(String(16), nullable=True)
    os_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash_version: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_audit_created_at", "created_at"),
        Index("ix_audit_parent_uuid", "parent_uuid"),
        Index("ix_audit_username_created", "username", "created_at"),
        Index("ix_audit_child_uuid", "child_uuid"),
        Index("ix_audit_reason_created", "reason_code", "created_at"),
    )


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[utc]


class LoginThrottle(Base):
    """Failed sign-ins per key (a username, known or not), shared by all replicas."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[utc]
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BulkRun(Base):
    """One upload of a bulk operations file, dry run or real (``bo_core.services.bulk``)."""

    __tablename__ = "bulk_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[utc]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))
    total_lines: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_bulk_runs_created", "created_at"),
        Index("ix_bulk_runs_user_created", "username", "created_at"),
    )


class BulkLineRow(Base):
    """One line of a bulk run: the input as typed, then its result (empty until decided)."""

    __tablename__ = "bulk_lines"

    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("bulk_runs.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(24))
    parent_uuid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    parent_transaction_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    merchant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[str | None] = mapped_column(String(32), nullable=True)
    usage: Mapped[str | None] = mapped_column(String(255), nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    result_code: Mapped[str | None] = mapped_column(String(11), nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    uuid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    replayed: Mapped[bool] = mapped_column(Boolean, default=False)


# The chargeback-ratio watch groups successful CB/CP/DB/RB rows by month, brand and
# merchant; this index covers the whole query (bo_core.services.risk).
Index(
    "ix_tx_type_status_created_brand_merchant",
    TransactionRow.type,
    TransactionRow.status,
    TransactionRow.created_at,
    TransactionRow.brand,
    TransactionRow.merchant,
)


class SavedViewRow(Base):
    """A user's saved Transactions search: filters, columns and their order (``services.views``)."""

    __tablename__ = "saved_views"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), ForeignKey("users.username"))
    name: Mapped[str] = mapped_column(String(80))
    params: Mapped[str] = mapped_column(Text)  # JSON: {query parameter: [values]}
    visibility: Mapped[str] = mapped_column(String(8))  # private, link, team
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[utc]
    updated_at: Mapped[utc]

    __table_args__ = (Index("ux_saved_views_owner_name", "owner", "name", unique=True),)


class ApprovalRequest(Base):
    """An operation above its requester's threshold, waiting for a second person.

    While ``state`` is open and ``expires_at`` lies ahead it reserves its amount
    (``services.ledger.position`` counts it like a pending child). At most one
    open request per parent and operation (partial unique index).
    """

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(10))
    operation: Mapped[str] = mapped_column(String(24))
    parent_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("transactions.uuid"))
    merchant: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    usage: Mapped[str | None] = mapped_column(String(127), nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[utc]
    expires_at: Mapped[utc]
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    child_uuid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    result_code: Mapped[str | None] = mapped_column(String(11), nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason_note: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        Index("ix_approval_parent_state", "parent_uuid", "state"),
        Index("ix_approval_state_requested", "state", "requested_at"),
        Index(
            "ux_approval_open_per_operation",
            "parent_uuid",
            "operation",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )


class UserScope(Base):
    """One node of the account tree assigned to a user: merchant ``*`` is the root;
    ``channel`` empty (``""``) means the whole merchant."""

    __tablename__ = "user_scopes"

    username: Mapped[str] = mapped_column(String(64), ForeignKey("users.username"), primary_key=True)
    merchant: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[utc]


# The security tables share this metadata (imported last: they use the types above).
from bo_core.db import security_models as _security_models  # noqa: E402,F401
