"""sso: identities already turned into a session (each OpenID Connect sign-in counts once)

Revision ID: 0011_sso
Revises: 0012_audit_controls
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sso"
down_revision = "0012_audit_controls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_sign_ins",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sso_sign_ins_created", "sso_sign_ins", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sso_sign_ins_created", table_name="sso_sign_ins")
    op.drop_table("sso_sign_ins")
