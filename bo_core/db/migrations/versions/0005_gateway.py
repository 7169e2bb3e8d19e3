"""gateway connection

Revision ID: 0005_gateway
Revises: 0004_security

- transactions.pending_reason: why a back-office child is still pending
  ("outcome unknown at the gateway: ...");
- transactions.attempt_uuid: the UUID the child had while its request was in
  flight, before the gateway's id became its UUID;
- an index to find pending back-office children (the reconciler);
- gateway_inbox: notifications whose parent has not arrived yet.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_gateway"
down_revision = "0004_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("pending_reason", sa.String(255), nullable=True))
    op.add_column("transactions", sa.Column("attempt_uuid", sa.String(32), nullable=True))
    op.create_index("ix_tx_status_source_created", "transactions", ["status", "source", "created_at"])
    op.create_index("ix_tx_attempt_uuid", "transactions", ["attempt_uuid"])
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "gateway_inbox",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("gateway_id", sa.String(32), nullable=False, unique=True),
        sa.Column("referenced_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_index("ix_gateway_inbox_referenced", "gateway_inbox", ["referenced_id"])


def downgrade() -> None:
    op.drop_index("ix_gateway_inbox_referenced", table_name="gateway_inbox")
    op.drop_table("gateway_inbox")
    op.drop_index("ix_tx_attempt_uuid", table_name="transactions")
    op.drop_index("ix_tx_status_source_created", table_name="transactions")
    # Plain DROP COLUMN (SQLite >= 3.35): a batch copy of the table would lose the enum CHECKs' names.
    op.execute("ALTER TABLE transactions DROP COLUMN attempt_uuid")
    op.execute("ALTER TABLE transactions DROP COLUMN pending_reason")
