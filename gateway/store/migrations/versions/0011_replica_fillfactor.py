"""replica pages keep room for a full pass's stamps (PostgreSQL)

Every full pass stamps each unchanged replica row as seen. On full pages that
update moves the row and inserts into all four of its indexes; with room left on
the page it stays on it (a heap-only tuple) and no index changes. Applies to
pages written from now on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:00:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FILLFACTOR = 70  # percent of each page filled by inserts; a stamped row's new version fits in the rest


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE replica_record SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE replica_record RESET (fillfactor)")
