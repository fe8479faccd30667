"""Alembic environment: runs on the connection the gateway hands over."""

from alembic import context
from sqlmodel import SQLModel

from gateway.store import agent_tables, connect_tables, event_tables, log_tables, sync_tables, tables, write_tables  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
