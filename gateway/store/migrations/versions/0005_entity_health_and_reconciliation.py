"""per-entity sync health, replica window and reconciliation

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:00:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("history_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reconciled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("sync_schedule") as batch:
        batch.add_column(sa.Column("requested", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sync_schedule") as batch:
        batch.drop_column("requested")
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("reconciled_at")
        batch.drop_column("history_start")
        batch.drop_column("retry_at")
        batch.drop_column("failures")
