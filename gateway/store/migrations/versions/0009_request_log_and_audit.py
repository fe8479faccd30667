"""request log and audit trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:10:00
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", _string(32), nullable=False),
        sa.Column("connection_id", _string(32), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", _string(16), nullable=False),
        sa.Column("method", _string(16), nullable=False),
        sa.Column("path", _string(2000), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("outcome", _string(16), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("request_id", _string(64), nullable=True),
        sa.Column("error", _string(200), nullable=True),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_log_org_time", "request_log", ["organization_id", "created_at"])
    op.create_index("ix_request_log_connection_time", "request_log", ["connection_id", "created_at"])
    op.create_index("ix_request_log_time", "request_log", ["created_at"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", _string(32), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("action", _string(64), nullable=False),
        sa.Column("actor_type", _string(16), nullable=False),
        sa.Column("actor_id", _string(32), nullable=True),
        sa.Column("target_type", _string(32), nullable=False),
        sa.Column("target_id", _string(64), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("request_id", _string(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_org_time", "audit_event", ["organization_id", "created_at"])
    op.create_index("ix_audit_event_time", "audit_event", ["created_at"])


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_table("request_log")
