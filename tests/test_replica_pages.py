"""PostgreSQL: a full pass stamps every row it meets unchanged, and each stamp stays on the row's page.

A stamp that finds no room on the page moves the row to another one and writes an
entry into each of the table's four indexes; one that finds room is a heap-only
update and writes no index. The pass stamps all the rows of a page in one
statement, so the page needs room for a second version of each (migration 0012).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from sandboxes.kit import ServerThread
from tests.conftest import Gateway, _start_gateway, fresh_postgres_database
from tests.helpers import wait_until
from tests.test_replica_upsert import SYNC, events, full_sync
from tests.test_sync import Conn

_PAGES = text(
    "SELECT remote_id, CAST((CAST(CAST(ctid AS TEXT) AS POINT))[0] AS BIGINT) FROM replica_record WHERE connection_id = :c"
)


@pytest.fixture(scope="module")
def postgres_gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
    with fresh_postgres_database() as url:
        yield from _start_gateway(tmp_path_factory.mktemp("gw-pages"), url, "postgresql", **SYNC)


def pages(gateway: Gateway, connection_id: str) -> dict[str, int]:
    """Each stored row's page (the block number of its current version)."""
    with gateway.services.store.engine.connect() as db:
        return {remote_id: page for remote_id, page in db.execute(_PAGES, {"c": connection_id})}


def test_full_passes_stamp_every_row_on_its_own_page(postgres_gateway: Gateway, upkeep_sandbox: ServerThread):
    conn = Conn(postgres_gateway, upkeep_sandbox)
    try:
        wait_until(lambda: events(conn, "sync.completed"))
        loaded = pages(postgres_gateway, conn.id)
        assert len(loaded) > 600  # every entity of the sandbox, work orders on 31 pages of 20
        full_sync(conn)  # every row stamped: its new version beside the old one
        assert pages(postgres_gateway, conn.id) == loaded
        full_sync(conn)  # the versions the last pass replaced are pruned and their room used again
        assert pages(postgres_gateway, conn.id) == loaded
    finally:
        conn.close()
