"""replica pages keep room for a second version of every row on them (PostgreSQL)

A full pass stamps every unchanged row of a page within one statement, before
any of the versions it replaces can be pruned, so the page needs room for a
new version of each of its rows. 0011's 70 % left room for about one: a
100,000-record re-sync updated half its rows in place (heap-only tuples) and
moved the other half to new pages with an entry in each of the four indexes.
At 50 % every row's stamp stays on its page. Applies to pages written from now on.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:20:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FILLFACTOR = 50  # percent of each page filled by inserts: the rest holds the next version of each row
EARLIER = 70  # 0011's


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE replica_record SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE replica_record SET (fillfactor = {EARLIER})")
