"""Credential encryption at rest (Fernet), with the key from the environment or the data dir."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger("plantgate.secrets")

KEY_FILE = "secret.key"


def load_or_create_key(secret_key: str | None, data_dir: Path) -> list[bytes]:
    """Keys to decrypt with, newest first; the first one encrypts.

    `PLANTGATE_SECRET_KEY` may hold several comma-separated keys (rotation).
    Without it, a key is generated once into the data directory; the key file
    holds one key a line (two only while `plantgate rotate-key` runs).
    """
    if secret_key:
        return [k.strip().encode() for k in secret_key.split(",") if k.strip()]
    path = data_dir / KEY_FILE
    if path.exists():
        return [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    log.warning(
        "generated a new credential encryption key at %s; keep it safe "
        "(or set PLANTGATE_SECRET_KEY): stored credentials cannot be read without it",
        path,
    )
    return [key]


class CredentialVault:
    """Encrypts a connection's credentials to one opaque string and back."""

    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, credentials: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise RuntimeError("stored credentials cannot be decrypted with the configured key") from None
