"""The gateway's database: engine and sessions, tables, migrations."""

from . import agent_tables as agent_tables
