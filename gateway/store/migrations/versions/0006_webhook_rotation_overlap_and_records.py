"""webhook secret rotation overlap and the full-record option

Stored secrets are left as they are: one sealed without a format is an older
`whsec_` token, whose text is its signing key (see gateway/events/signing.py),
so existing receivers keep verifying.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:40:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as batch:
        batch.add_column(sa.Column("previous_secret_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("previous_secret_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("include_record", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as batch:
        batch.drop_column("include_record")
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_secret_encrypted")
