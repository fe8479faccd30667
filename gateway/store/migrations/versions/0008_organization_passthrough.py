"""organization passthrough setting

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(
            sa.Column("passthrough", sa.String(length=16), nullable=False, server_default="READ_ONLY"),
        )


def downgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("passthrough")
