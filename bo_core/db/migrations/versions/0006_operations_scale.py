"""operations at scale: bulk runs and their lines, the chargeback-ratio index

Revision ID: 0006_operations_scale
Revises: 0005_gateway

- bulk_runs / bulk_lines: every bulk upload (dry run or real) and each line's
  input and result, so a run can be shown, downloaded and resumed;
- saved_views: per-user saved Transactions searches (private, by link, or team);
- transactions (type, status, created_at, brand, merchant): covers the grouped
  chargeback-ratio query.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_operations_scale"
down_revision = "0005_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("total_lines", sa.Integer(), nullable=False),
    )
    op.create_index("ix_bulk_runs_created", "bulk_runs", ["created_at"])
    op.create_index("ix_bulk_runs_user_created", "bulk_runs", ["username", "created_at"])
    op.create_table(
        "bulk_lines",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("bulk_runs.id"), primary_key=True),
        sa.Column("line", sa.Integer(), primary_key=True),
        sa.Column("operation", sa.String(24), nullable=False),
        sa.Column("parent_uuid", sa.String(32), nullable=True),
        sa.Column("parent_transaction_id", sa.String(255), nullable=True),
        sa.Column("merchant", sa.String(64), nullable=True),
        sa.Column("amount", sa.String(32), nullable=True),
        sa.Column("usage", sa.String(255), nullable=True),
        sa.Column("transaction_id", sa.String(255), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("result_code", sa.String(11), nullable=True),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("uuid", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("replayed", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(8), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_index("ux_saved_views_owner_name", "saved_views", ["owner", "name"], unique=True)
    op.create_index(
        "ix_tx_type_status_created_brand_merchant",
        "transactions",
        ["type", "status", "created_at", "brand", "merchant"],
    )


def downgrade() -> None:
    op.drop_index("ix_tx_type_status_created_brand_merchant", table_name="transactions")
    op.drop_index("ux_saved_views_owner_name", table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_table("bulk_lines")
    op.drop_index("ix_bulk_runs_user_created", table_name="bulk_runs")
    op.drop_index("ix_bulk_runs_created", table_name="bulk_runs")
    op.drop_table("bulk_runs")
