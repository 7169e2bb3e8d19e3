"""search indexes

Revision ID: 0002
Revises: 0001

- brand and payment method, each with created_at: the brand filter (brand OR
  payment method) and the brand picker;
- currency with created_at: the currency filter's first page by date;
- audit_log.child_uuid: the history of the transaction an operation created;
- PostgreSQL only: customer email and holder prefixes are range scans, which
  match "starts with" exactly only in the "C" collation, so those two indexes
  are rebuilt in it (SQLite compares bytes already).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PREFIX_COLUMNS = (("ix_tx_customer_email", "customer_email"), ("ix_tx_holder_lc", "holder_lc"))


def upgrade() -> None:
    op.create_index("ix_tx_brand_created", "transactions", ["brand", "created_at"], unique=False)
    op.create_index(
        "ix_tx_payment_method_created", "transactions", ["payment_method", "created_at"], unique=False
    )
    op.create_index("ix_tx_currency_created", "transactions", ["currency", "created_at"], unique=False)
    op.create_index("ix_audit_child_uuid", "audit_log", ["child_uuid"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for name, column in _PREFIX_COLUMNS:
            op.drop_index(name, table_name="transactions")
            op.create_index(f"{name}_c", "transactions", [sa.text(f'{column} COLLATE "C"')], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, column in _PREFIX_COLUMNS:
            op.drop_index(f"{name}_c", table_name="transactions")
            op.create_index(name, "transactions", [column], unique=False)
    op.drop_index("ix_audit_child_uuid", table_name="audit_log")
    op.drop_index("ix_tx_currency_created", table_name="transactions")
    op.drop_index("ix_tx_payment_method_created", table_name="transactions")
    op.drop_index("ix_tx_brand_created", table_name="transactions")
