"""The credit invariant's check finds drift: a pool, a connection or a ledger changed by hand is reported,
by the admin `credits { audit }` field and by `plantgate check` (exit 1), for that organization only."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from gateway.store.tables import Connection, CreditLedgerEntry, CreditPool
from sandboxes.kit import ServerThread
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data
from tests.processes import REPO, base_env

pytestmark = pytest.mark.processes  # `plantgate check` runs as a subprocess

AUDIT = "{ credits { used audit { consistent poolUsed heldByConnections ledgerUsed } } }"


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[tuple[Gateway, str]]:
    """A gateway of its own on SQLite (the drift is made by hand), and its database's URL."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for gateway in _start_gateway(tmp_path, url, "sqlite"):
        yield gateway, url


def check_command(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = base_env(PLANTGATE_DATABASE_URL=database_url, PLANTGATE_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "check"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )


def more_used(session: Session, connection: Connection) -> None:
    pool = session.get(CreditPool, connection.organization_id)
    assert pool is not None
    pool.used += 1
    session.add(pool)


def more_held(session: Session, connection: Connection) -> None:
    connection.credits += 1
    session.add(connection)


def ledger_lost(session: Session, connection: Connection) -> None:
    entry = session.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.connection_id == connection.id)).one()
    session.delete(entry)


DRIFTS: dict[str, tuple[Callable[[Session, Connection], Any], str]] = {
    "pool": (more_used, "poolUsed"),
    "connection": (more_held, "heldByConnections"),
    "ledger": (ledger_lost, "ledgerUsed"),
}


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_drift_is_reported_for_its_organization_only(audited, upkeep_sandbox: ServerThread, tmp_path, drift):
    gateway, url = audited
    admins = [gateway.new_org(), gateway.new_org()]
    connection_ids = [
        data(gateway.connect(admin, upkeep_sandbox.url))["createConnection"]["connection"]["id"] for admin in admins
    ]
    before = [data(gateway.gql(admin, AUDIT))["credits"] for admin in admins]
    assert all(c["audit"]["consistent"] and c["audit"]["poolUsed"] == c["used"] > 0 for c in before), before
    clean = check_command(url, tmp_path)
    assert clean.returncode == 0 and "2 organization(s) checked, 0 with drift" in clean.stdout, clean.stdout

    change, off = DRIFTS[drift]
    with gateway.services.store.write() as session:
        connection = session.get(Connection, connection_ids[0])
        assert connection is not None
        change(session, connection)

    drifted, untouched = (data(gateway.gql(admin, AUDIT))["credits"]["audit"] for admin in admins)
    assert not drifted["consistent"] and untouched["consistent"], (drifted, untouched)
    others = {k: v for k, v in drifted.items() if k not in ("consistent", off)}
    assert drifted[off] not in others.values(), drifted  # the one that moved is the odd one out
    done = check_command(url, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 organization(s) checked, 1 with drift" in done.stdout
    assert [line for line in done.stdout.splitlines() if "DRIFT" in line] == [
        next(line for line in done.stdout.splitlines() if connection.organization_id in line)
    ]
