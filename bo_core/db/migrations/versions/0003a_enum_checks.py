"""CHECK constraints: transactions.type, status and source hold only their enum values

Revision ID: 0003a_enum_checks
Revises: 0002

The models map these columns to ``TxType``, ``Status`` and ``Source`` (stored by
value); the database now refuses any other value, whoever writes the row.

PostgreSQL adds the constraints in place (existing rows are validated). SQLite
cannot add a constraint to a table, so the table is rebuilt: the old one is
renamed, a new one created from its own definition plus the constraints, the
rows copied, the old table dropped and its indexes re-created from their own
definitions. All of it runs in the migration's transaction.

The value lists are frozen here on purpose: a new enum member needs a new
migration.
"""

from alembic import op
from sqlalchemy import text

revision = "0003a_enum_checks"
down_revision = "0002"
branch_labels = None
depends_on = None

CHECKS = {
    "ck_transactions_type": "type IN ('PA', 'CP', 'DB', 'RB', 'RV', 'RF', 'CB', 'CR')",
    "ck_transactions_status": "status IN ('success', 'pending', 'rejected')",
    "ck_transactions_source": "source IN ('gateway', 'back_office', 'import')",
}
# SQLite keeps a table's definition as written: downgrade removes exactly this text.
CLAUSES = "".join(f",\n\tCONSTRAINT {name} CHECK ({condition})" for name, condition in CHECKS.items())


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, condition in CHECKS.items():
            op.create_check_constraint(name, "transactions", condition)
        return
    _rebuild_sqlite(lambda ddl: ddl[: ddl.rindex(")")] + CLAUSES + "\n)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in CHECKS:
            op.drop_constraint(name, "transactions", type_="check")
        return
    _rebuild_sqlite(lambda ddl: ddl.replace(CLAUSES, ""))


def _rebuild_sqlite(change) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    conn.execute(text("PRAGMA defer_foreign_keys = ON"))
    ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'transactions'")).scalar_one()
    indexes = conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions' AND sql IS NOT NULL")
    ).scalars().all()
    conn.execute(text("ALTER TABLE transactions RENAME TO transactions_old"))
    conn.execute(text(change(ddl)))
    conn.execute(text("INSERT INTO transactions SELECT * FROM transactions_old"))
    conn.execute(text("DROP TABLE transactions_old"))
    for index in indexes:
        conn.execute(text(index))
