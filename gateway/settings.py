"""All configuration, read once from the environment (no scattered os.environ)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Gateway settings; `from_env` is the only reader of the environment."""

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    sandboxes: bool = False
    public_url: str = ""
    ui_assets_dir: Path = Path(".venv/share/plantgate-ui/node_modules")
    upstream_connect_timeout: float = 5.0
    upstream_read_timeout: float = 30.0
    upstream_retries: int = 2
    max_page_size: int = 200

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'plantgate.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> "Settings":
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {
            "data_dir": Path(env.get("PLANTGATE_DATA_DIR", "data")),
            "database_url": env.get("PLANTGATE_DATABASE_URL", ""),
            "secret_key": env.get("PLANTGATE_SECRET_KEY") or None,
            "host": env.get("PLANTGATE_HOST", "127.0.0.1"),
            "port": int(env.get("PLANTGATE_PORT", "8000")),
            "sandboxes": _flag(env.get("PLANTGATE_SANDBOXES"), False),
            "public_url": env.get("PLANTGATE_PUBLIC_URL", ""),
            "ui_assets_dir": Path(
                env.get("PLANTGATE_UI_ASSETS", ".venv/share/plantgate-ui/node_modules")
            ),
            "upstream_connect_timeout": float(env.get("PLANTGATE_UPSTREAM_CONNECT_TIMEOUT", "5")),
            "upstream_read_timeout": float(env.get("PLANTGATE_UPSTREAM_READ_TIMEOUT", "30")),
            "upstream_retries": int(env.get("PLANTGATE_UPSTREAM_RETRIES", "2")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
