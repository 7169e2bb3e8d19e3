"""controls: four-eyes approval requests

Revision ID: 0007_controls
Revises: 0006_operations_scale

- approval_requests: an operation above its requester's threshold waits here
  for a second person; one open request per parent and operation;
- user_scopes: merchant-scoped users; every existing user keeps full access
  through an assignment to the root ("*");
- audit_log.outcome widens to 20 characters ("awaiting_approval").
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bo_core.db import timestamps

revision = "0007_controls"
down_revision = "0006_operations_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("operation", sa.String(length=24), nullable=False),
        sa.Column("parent_uuid", sa.String(length=32), nullable=False),
        sa.Column("merchant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("usage", sa.String(length=127), nullable=True),
        sa.Column("transaction_id", sa.String(length=255), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("child_uuid", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("result_code", sa.String(length=11), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["parent_uuid"], ["transactions.uuid"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approval_parent_state", "approval_requests", ["parent_uuid", "state"])
    op.create_index("ix_approval_state_requested", "approval_requests", ["state", "requested_at"])
    op.create_index(
        "ux_approval_open_per_operation",
        "approval_requests",
        ["parent_uuid", "operation"],
        unique=True,
        sqlite_where=sa.text("state = 'open'"),
        postgresql_where=sa.text("state = 'open'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("audit_log", "outcome", type_=sa.String(length=20), existing_nullable=False)
    op.create_table(
        "user_scopes",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("merchant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username", "merchant", "channel"),
    )
    # The grant time is bound, not CURRENT_TIMESTAMP: on SQLite that text lacks the
    # fraction of the one stored spelling (bo_core.db.timestamps).
    conn = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute(
        sa.text(
            "INSERT INTO user_scopes (username, merchant, channel, granted_by, granted_at) "
            "SELECT username, '*', '', 'migration', :at FROM users"
        ),
        {"at": timestamps.to_storage_text(now) if conn.dialect.name == "sqlite" else now},
    )


def downgrade() -> None:
    op.drop_table("user_scopes")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("audit_log", "outcome", type_=sa.String(length=10), existing_nullable=False)
    op.drop_index("ux_approval_open_per_operation", table_name="approval_requests")
    op.drop_index("ix_approval_state_requested", table_name="approval_requests")
    op.drop_index("ix_approval_parent_state", table_name="approval_requests")
    op.drop_table("approval_requests")
