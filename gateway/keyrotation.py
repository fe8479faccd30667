"""`plantgate rotate-key`: re-encrypt every stored secret under a new key, retiring the old one.

Credentials and webhook secrets are re-encrypted in one transaction with
`MultiFernet.rotate`. With the key file in the data directory, the file holds
the new and the old key while the transaction runs, so a crash at any point
leaves every row readable; afterwards only the new key remains. With
`PLANTGATE_SECRET_KEY` the operator sets the printed new key (the command
cannot change the environment). Gateways read the key at start: restart them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import select

from .secrets import KEY_FILE, load_or_create_key
from .settings import Settings
from .store.engine import Store, make_engine
from .store.event_tables import WebhookEndpoint
from .store.tables import Connection


@dataclass(frozen=True)
class Rotated:
    connections: int
    webhook_endpoints: int
    key_file: Path | None  # None: the key comes from PLANTGATE_SECRET_KEY


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically, readable by the owner only."""
    staging = path.with_suffix(".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"\n".join(keys) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)


def rotate_key(settings: Settings, new_key: bytes) -> Rotated:
    """Re-encrypt everything under `new_key`; raises RuntimeError if a row is unreadable."""
    key_file = None if settings.secret_key else settings.data_dir / KEY_FILE
    if key_file is not None and not key_file.exists():
        raise RuntimeError(f"no key file at {key_file}: nothing is encrypted yet")
    old_keys = load_or_create_key(settings.secret_key, settings.data_dir)
    fernet = MultiFernet([Fernet(new_key), *(Fernet(k) for k in old_keys)])
    if key_file is not None:
        write_key_file(key_file, [new_key, *old_keys])
    store = Store(make_engine(settings.effective_database_url))
    try:
        with store.write() as session:
            connections = [c for c in session.exec(select(Connection)) if c.credentials_encrypted]
            endpoints = list(session.exec(select(WebhookEndpoint)))
            for connection in connections:
                connection.credentials_encrypted = _rotate(fernet, connection.credentials_encrypted)
                session.add(connection)
            for endpoint in endpoints:
                endpoint.secret_encrypted = _rotate(fernet, endpoint.secret_encrypted)
                if endpoint.previous_secret_encrypted:  # still signing during a rotation's overlap
                    endpoint.previous_secret_encrypted = _rotate(fernet, endpoint.previous_secret_encrypted)
                session.add(endpoint)
    except BaseException:
        if key_file is not None:
            write_key_file(key_file, old_keys)  # nothing changed: the old key alone again
        raise
    finally:
        store.close()
    if key_file is not None:
        write_key_file(key_file, [new_key])
    return Rotated(len(connections), len(endpoints), key_file)


def _rotate(fernet: MultiFernet, token: str) -> str:
    try:
        return fernet.rotate(token.encode()).decode()
    except InvalidToken:
        raise RuntimeError(
            "a stored secret cannot be decrypted with the configured key(s); nothing was changed"
        ) from None
