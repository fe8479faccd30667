"""PostgreSQL planner statistics for the replica, refreshed by the sync that fills it.

Without statistics the planner takes `replica_record` for a one-row table and
may read a connection's rows through the wrong index, so every page costs more
as the replica grows (BENCHMARKS.md: 100,000 records in 438 s instead of 76 s).
Autovacuum analyzes within a minute when it is on; a sync does not wait for it,
and a gateway may run where it is off.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("plantgate.sync")

AFTER_PAGES = 5  # a pass checks once it has committed this many pages (1,000 records at the default size)
THRESHOLD, SCALE = 50, 0.1  # stale: more changed rows than this plus this share of the estimate (autovacuum's defaults)

_ESTIMATE = text(
    "SELECT c.reltuples, coalesce(s.n_mod_since_analyze, 0) FROM pg_class c"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = to_regclass('replica_record')"
)


def refresh_if_stale(engine: Engine) -> bool:
    """ANALYZE the replica when it was never analyzed or has changed much since; True if it ran.

    Runs on its own autocommit connection, never inside a page's transaction, and
    SKIP_LOCKED leaves the table alone while another process or autovacuum
    analyzes it. A failure is logged: statistics must not fail a sync.
    """
    if engine.dialect.name != "postgresql":
        return False  # SQLite's planner picks the primary key without statistics
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            row = connection.execute(_ESTIMATE).first()
            if row is None:
                return False
            estimate, modified = row
            if estimate > 0 and modified <= THRESHOLD + SCALE * estimate:
                return False
            connection.execute(text("ANALYZE (SKIP_LOCKED) replica_record"))
            return True
    except SQLAlchemyError:
        log.warning("could not refresh the replica's statistics", exc_info=True)
        return False
