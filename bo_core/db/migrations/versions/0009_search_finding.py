"""search finding: any-case Transaction IDs, UUID prefixes, surnames and e-mail domains

Revision ID: 0009_search_finding
Revises: 0008_operation_reasons

Expression indexes serving the free-text search's prefix ranges
(``bo_core.db.search_text``), spelled exactly as the search spells them:

- ``lower(transaction_id)``: Transaction IDs in any case, whole or a prefix;
- the holder name after its first space: a surname alone;
- the e-mail address after its ``@``: an e-mail domain;
- PostgreSQL only: ``uuid`` in the "C" collation (a UUID prefix is a range,
  which means "starts with" only in that collation; SQLite compares bytes and
  its unique index on ``uuid`` serves it), and every expression above in "C".

Planner statistics are refreshed where they are kept (``ANALYZE``), so a
database already holding rows uses the new indexes at once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_search_finding"
down_revision = "0008_operation_reasons"
branch_labels = None
depends_on = None

_SQLITE = {
    "ix_tx_txid_lc": "lower(transaction_id)",
    "ix_tx_holder_surname": "substr(holder_lc, instr(holder_lc, ' ') + 1)",
    "ix_tx_email_domain": "substr(customer_email, instr(customer_email, '@') + 1)",
}
_POSTGRESQL = {
    "ix_tx_txid_lc": 'lower(transaction_id) COLLATE "C"',
    "ix_tx_holder_surname": "substr(holder_lc, strpos(holder_lc, ' ') + 1) COLLATE \"C\"",
    "ix_tx_email_domain": "substr(customer_email, strpos(customer_email, '@') + 1) COLLATE \"C\"",
    "ix_tx_uuid_c": 'uuid COLLATE "C"',
}


def _indexes() -> dict[str, str]:
    return _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE


def upgrade() -> None:
    bind = op.get_bind()
    for name, expression in _indexes().items():
        op.create_index(name, "transactions", [sa.text(expression)], unique=False)
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE transactions")
    elif bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        for name in _SQLITE:  # only where statistics are kept already (ANALYZE would start them)
            op.execute(f"ANALYZE {name}")


def downgrade() -> None:
    for name in _indexes():
        op.drop_index(name, table_name="transactions")
