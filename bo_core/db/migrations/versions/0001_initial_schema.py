"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:58:06.784316
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('operation', sa.String(length=24), nullable=False),
    sa.Column('parent_uuid', sa.String(length=32), nullable=False),
    sa.Column('child_uuid', sa.String(length=32), nullable=True),
    sa.Column('merchant', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('available_before_minor', sa.BigInteger(), nullable=True),
    sa.Column('available_after_minor', sa.BigInteger(), nullable=True),
    sa.Column('transaction_id', sa.String(length=255), nullable=True),
    sa.Column('usage', sa.String(length=127), nullable=True),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('result_code', sa.String(length=11), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_index('ix_audit_created_at', 'audit_log', ['created_at'], unique=False)
    op.create_index('ix_audit_parent_uuid', 'audit_log', ['parent_uuid'], unique=False)
    op.create_index('ix_audit_username_created', 'audit_log', ['username', 'created_at'], unique=False)

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=32), nullable=False),
    sa.Column('transaction_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=2), nullable=False),
    sa.Column('parent_uuid', sa.String(length=32), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('result_code', sa.String(length=11), nullable=False),
    sa.Column('result_description', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('merchant', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('payment_method', sa.String(length=8), nullable=False),
    sa.Column('brand', sa.String(length=16), nullable=False),
    sa.Column('bin', sa.String(length=6), nullable=True),
    sa.Column('last4', sa.String(length=4), nullable=True),
    sa.Column('holder', sa.String(length=128), nullable=True),
    sa.Column('holder_lc', sa.String(length=128), nullable=True),
    sa.Column('customer_name', sa.String(length=128), nullable=True),
    sa.Column('customer_email', sa.String(length=254), nullable=True),
    sa.Column('customer_country', sa.String(length=2), nullable=True),
    sa.Column('usage', sa.String(length=127), nullable=True),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['parent_uuid'], ['transactions.uuid'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    op.create_index('ix_tx_created_at', 'transactions', ['created_at', 'id'], unique=False)
    op.create_index('ix_tx_currency_amount', 'transactions', ['currency', 'amount_minor'], unique=False)
    op.create_index('ix_tx_customer_email', 'transactions', ['customer_email'], unique=False)
    op.create_index('ix_tx_holder_lc', 'transactions', ['holder_lc'], unique=False)
    op.create_index('ix_tx_last4_created', 'transactions', ['last4', 'created_at'], unique=False)
    op.create_index('ix_tx_merchant_status_created', 'transactions', ['merchant', 'status', 'created_at'], unique=False)
    op.create_index('ix_tx_parent_uuid', 'transactions', ['parent_uuid'], unique=False)
    op.create_index('ix_tx_transaction_id', 'transactions', ['transaction_id'], unique=False)
    op.create_index('ix_tx_type_status_created', 'transactions', ['type', 'status', 'created_at'], unique=False)
    op.create_index('ux_tx_backoffice_merchant_txid', 'transactions', ['merchant', 'transaction_id'], unique=True, sqlite_where=sa.text("source = 'back_office'"), postgresql_where=sa.text("source = 'back_office'"))

    op.create_table('users',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    _create_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    op.drop_table("users")
    op.drop_table("transactions")
    op.drop_table("login_throttle")
    op.drop_table("audit_log")


_PG_GUARD = """
CREATE OR REPLACE FUNCTION bo_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION bo_audit_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION bo_audit_append_only();
"""


def _create_append_only_guards() -> None:
    """The audit table refuses UPDATE and DELETE (a trigger on both backends)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {action} refused'); END"
            )


def _drop_append_only_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS bo_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
