"""operation reasons: why a refund or chargeback was made

Revision ID: 0008_operation_reasons
Revises: 0011_sso

- transactions, audit_log and approval_requests get ``reason_code`` (one of
  the configured reasons) and ``reason_note`` (required for ``other``);
- an index on ``audit_log.reason_code`` backs the history filter.

Adding nullable columns rewrites no row (the append-only triggers of
``audit_log`` refuse updates and deletes, not new columns).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_operation_reasons"
down_revision = "0011_sso"
branch_labels = None
depends_on = None

TABLES = ("transactions", "audit_log", "approval_requests")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("reason_code", sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column("reason_note", sa.String(length=500), nullable=True))
    op.create_index("ix_audit_reason_created", "audit_log", ["reason_code", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_reason_created", table_name="audit_log")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no table rebuild, the CHECKs stay.
    for table in reversed(TABLES):
        op.drop_column(table, "reason_note")
        op.drop_column(table, "reason_code")
