"""security: server-side sessions, security events, per-user factors, throttle index

Revision ID: 0004_security
Revises: 0003_one_timestamp_format
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_security"
down_revision = "0003_one_timestamp_format"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("mfa_done", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sessions_username", "user_sessions", ["username", "ended_at"])
    op.create_table(
        "security_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_events_created", "security_events", ["created_at"])
    op.create_index("ix_security_events_username", "security_events", ["username", "created_at"])
    op.create_table(
        "user_security",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", _ID, nullable=True),
        sa.Column("recovery_codes", sa.Text(), nullable=False),
        sa.Column("external_subject", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username"),
        sa.UniqueConstraint("external_subject"),
    )
    op.create_index("ix_login_throttle_window", "login_throttle", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_window", table_name="login_throttle")
    op.drop_table("user_security")
    op.drop_index("ix_security_events_username", table_name="security_events")
    op.drop_index("ix_security_events_created", table_name="security_events")
    op.drop_table("security_events")
    op.drop_index("ix_sessions_username", table_name="user_sessions")
    op.drop_table("user_sessions")
