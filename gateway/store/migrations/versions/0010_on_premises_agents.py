"""on-premises agents

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:10:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "agent",
        sa.Column("id", _string(32), nullable=False),
        sa.Column("organization_id", _string(32), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("key_hash", _string(64), nullable=False),
        sa.Column("key_prefix", _string(16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("holder", _string(80), nullable=True),
        sa.Column("version", _string(64), nullable=True),
        sa.Column("connected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("disconnected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_agent_organization_id", "agent", ["organization_id"])
    with op.batch_alter_table("connection") as batch:
        batch.add_column(sa.Column("agent_id", _string(32), nullable=True))
        batch.add_column(sa.Column("agent_credentials", _string(64), nullable=True))
        batch.create_foreign_key("fk_connection_agent", "agent", ["agent_id"], ["id"])
        batch.create_index("ix_connection_agent_id", ["agent_id"])


def downgrade() -> None:
    with op.batch_alter_table("connection") as batch:
        batch.drop_index("ix_connection_agent_id")
        batch.drop_constraint("fk_connection_agent", type_="foreignkey")
        batch.drop_column("agent_credentials")
        batch.drop_column("agent_id")
    op.drop_index("ix_agent_organization_id", "agent")
    op.drop_table("agent")
