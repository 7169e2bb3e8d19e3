"""history and exports: the attempted amount of every operation attempt

Revision ID: 0010_history_exports
Revises: 0007_controls

- audit_log.attempted_minor: the amount an attempt asked for, in the record's
  currency minor units, refused attempts included (their ``amount_minor`` stays
  empty: nothing was booked). Existing records keep NULL; the history reads
  ``COALESCE(attempted_minor, amount_minor)``. The column enters a record's chain
  hash only when it is set, so every existing hash still verifies.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_history_exports"
down_revision = "0007_controls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a table rebuild would drop the append-only triggers.
    op.add_column("audit_log", sa.Column("attempted_minor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "attempted_minor")
