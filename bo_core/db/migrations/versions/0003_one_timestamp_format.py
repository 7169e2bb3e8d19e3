"""one timestamp format

Revision ID: 0003_one_timestamp_format
Revises: 0003a_enum_checks

SQLite only (PostgreSQL has a timestamp type; nothing to do there): rewrite
every stored timestamp into the one fixed-width spelling
``YYYY-MM-DD HH:MM:SS.ffffff`` and add triggers that refuse any other spelling
from then on (see ``bo_core.db.timestamps``). Databases loaded by the old bulk
loader stored whole seconds as ``YYYY-MM-DD HH:MM:SS``, which compared wrongly
against the ORM's spelling of the same instant.

Downgrade drops the triggers and keeps the (still readable) values.
"""

from alembic import op

from bo_core.db import timestamps

revision = "0003_one_timestamp_format"
down_revision = "0003a_enum_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    timestamps.normalize_sqlite(conn)
    timestamps.create_sqlite_guards(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    timestamps.drop_sqlite_guards(conn)
