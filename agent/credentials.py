"""Credentials that stay in the plant: an encrypted file next to the agent, never sent to the gateway.

Each entry has a name the customer picks (`sap-prod`) and the fields of the
system's login (`username`, `password`, …). The file is encrypted with Fernet,
its key from `PLANTGATE_AGENT_SECRET` or generated once into the agent's data
directory (the gateway's own key handling, gateway/secrets.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gateway.agents.protocol import CREDENTIALS_NAME
from gateway.secrets import CredentialVault, load_or_create_key

from .policy import check_instance

FILE = "credentials.enc"
INSTANCE = "@instance"  # the instance URL a login is bound to; no placeholder can name it


def bound(entry: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """A login's fields, and the instance URL it may be sent to (None: any of the agent's)."""
    fields = {k: v for k, v in entry.items() if k != INSTANCE}
    return fields, entry.get(INSTANCE)


class PlantCredentials:
    """The agent's named credential sets, read and written whole (a handful of entries)."""

    def __init__(self, data_dir: Path, secret: str | None = None) -> None:
        self.data_dir = data_dir
        self.path = data_dir / FILE
        self.secret = secret
        self._vault: CredentialVault | None = None

    @property
    def vault(self) -> CredentialVault:
        """Made when first needed: an agent that keeps no login in the plant needs no key."""
        if self._vault is None:
            self._vault = CredentialVault(load_or_create_key(self.secret, self.data_dir))
        return self._vault

    def load(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        return {name: json.loads(fields) for name, fields in self.vault.decrypt(self.path.read_text()).items()}

    def save(self, entries: dict[str, dict[str, str]]) -> None:
        text = self.vault.encrypt({name: json.dumps(fields) for name, fields in entries.items()})
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        temporary.replace(self.path)  # whole or not at all

    def set(self, name: str, fields: dict[str, str], instance: str | None = None) -> None:
        """Store a login; with `instance`, the agent fills it only into calls under that URL."""
        if not CREDENTIALS_NAME.match(name):
            raise ValueError(f"'{name}' is not a credential name (letters, digits, '.', '_', '-'; up to 64)")
        if instance is not None:
            check_instance(instance)
            fields = {**fields, INSTANCE: instance}
        entries = self.load()
        entries[name] = {**entries.get(name, {}), **fields}
        self.save(entries)

    def remove(self, name: str) -> bool:
        entries = self.load()
        if entries.pop(name, None) is None:
            return False
        self.save(entries)
        return True
