"""The store: Alembic migrations on SQLite and PostgreSQL, credentials encrypted at rest."""

from __future__ import annotations

import logging
import threading

import anyio
import pytest
from sqlalchemy import event, inspect, text
from sqlmodel import select

from gateway.secrets import KEY_FILE, CredentialVault, load_or_create_key
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.engine import WORKER_THREADS, Store, make_engine, migrate
from gateway.store.tables import Connection, ConnectionToken
from tests.helpers import data

TABLES = {
    "organization",
    "admin_key",
    "credit_pool",
    "connection",
    "connection_token",
    "credit_ledger",
    "connection_status_change",
    "alembic_version",
    "replica_version",
    "replica_record",
    "sync_state",
    "sync_schedule",
    "event",
    "webhook_endpoint",
    "webhook_delivery",
    "webhook_attempt",
    "connect_session",
    "idempotent_write",
    "request_log",
    "audit_event",
    "agent",
}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrations_create_tables_and_are_idempotent(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    migrate(engine)  # a second start changes nothing
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0012"
        if backend == "postgres":  # replica pages leave room for a full pass's stamps
            options = conn.execute(text("select reloptions from pg_class where relname = 'replica_record'")).scalar()
            assert options == ["fillfactor=50"]
    engine.dispose()


def test_credentials_are_encrypted_and_tokens_hashed(gateway, upkeep_sandbox):
    key = gateway.new_org()
    created = data(gateway.connect(key, upkeep_sandbox.url))["createConnection"]
    with gateway.services.store.read() as session:
        row = session.get(Connection, created["connection"]["id"])
        tokens = session.exec(select(ConnectionToken).where(ConnectionToken.connection_id == row.id)).all()
    assert "upkeep-demo" not in row.credentials_encrypted
    assert "demo@upkeep.example" not in row.credentials_encrypted
    assert gateway.services.pool.vault.decrypt(row.credentials_encrypted)["password"] == "upkeep-demo"
    assert [t.token_hash for t in tokens] != [created["token"]] and len(tokens[0].token_hash) == 64


def test_key_is_generated_once_into_the_data_dir(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="plantgate.secrets"):
        first = load_or_create_key(None, tmp_path)
    assert "generated a new credential encryption key" in caplog.text
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0  # readable by the owner only
    assert load_or_create_key(None, tmp_path) == first
    secret = CredentialVault(first).encrypt({"password": "p"})
    assert CredentialVault(load_or_create_key(None, tmp_path)).decrypt(secret) == {"password": "p"}


def test_rotated_keys_still_decrypt_old_secrets(tmp_path):
    old = load_or_create_key(None, tmp_path)[0]
    from cryptography.fernet import Fernet

    new = Fernet.generate_key()
    secret = CredentialVault([old]).encrypt({"password": "p"})
    rotated = CredentialVault(load_or_create_key(f"{new.decode()},{old.decode()}", tmp_path))
    assert rotated.decrypt(secret) == {"password": "p"}


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path):
    settings = Settings.from_env({"PLANTGATE_DATA_DIR": str(tmp_path / "data")})
    services = Services.start(settings)
    try:
        assert services.store.dialect == "sqlite"
        assert (tmp_path / "data" / "plantgate.db").exists()
        assert (tmp_path / "data" / KEY_FILE).exists()
    finally:
        services.store.close()


async def test_busy_sqlite_store_keeps_its_connections_open(tmp_path):
    """Every worker thread busy at once, twice: the second round opens no new connection."""
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    store = Store(engine)
    arrived = threading.Barrier(WORKER_THREADS, timeout=10)

    def hold(_: object) -> None:
        with store.read() as session:
            session.exec(text("select 1"))
            arrived.wait()  # all threads hold a connection at the same time

    async def busy_round() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(WORKER_THREADS):
                group.start_soon(store.run, hold, None)

    await busy_round()
    assert len(opened) == WORKER_THREADS
    await busy_round()
    assert len(opened) == WORKER_THREADS  # all reused from the pool
    store.close()
